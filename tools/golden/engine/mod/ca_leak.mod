: A calcium leak ica = gbar*(v - eca), used by Myelin's engine tests (written for Myelin).
NEURON {
    SUFFIX ca_leak
    USEION ca READ eca WRITE ica
    RANGE gbar
}
PARAMETER { gbar = 1e-5 (S/cm2) }
ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
}
BREAKPOINT { ica = gbar*(v - eca) }
