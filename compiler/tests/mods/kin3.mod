NEURON { SUFFIX kin3 USEION k READ ek WRITE ik RANGE gbar }
PARAMETER { gbar = 0.01 (S/cm2) }
ASSIGNED { v (mV) ek (mV) ik (mA/cm2) a1 b1 a2 b2 }
STATE { C O I }
BREAKPOINT { SOLVE kin METHOD sparse  ik = gbar*O*(v - ek) }
INITIAL { SOLVE kin STEADYSTATE sparse }
KINETIC kin {
  rates(v)
  ~ C <-> O (a1, b1)
  ~ O <-> I (a2, b2)
  CONSERVE C + O + I = 1
}
PROCEDURE rates(v (mV)) {
  a1 = 0.5*exp(v/20)  b1 = 0.2*exp(-v/25)
  a2 = 0.05*exp(v/30) b2 = 0.01
}
