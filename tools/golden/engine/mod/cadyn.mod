: A first-order calcium pool, used by Myelin's engine tests (written for Myelin).
: cai' = drive + (cainf - cai)/taur with drive = max(0, -10000*ica/(2*F*depth)).
NEURON {
    SUFFIX cadyn
    USEION ca READ ica WRITE cai
    RANGE depth, taur, cainf, drive
}
UNITS {
    (mM) = (milli/liter)
    (mA) = (milliamp)
    (um) = (micron)
    FARADAY = (faraday) (coulomb)
}
PARAMETER {
    depth = 0.1 (um)
    taur = 20 (ms)
    cainf = 1e-4 (mM)
}
ASSIGNED {
    ica (mA/cm2)
    drive (mM/ms)
}
STATE { cai (mM) }
INITIAL { cai = cainf }
BREAKPOINT { SOLVE state METHOD cnexp }
DERIVATIVE state {
    drive = -10000*ica/(2*FARADAY*depth)
    if (drive <= 0) { drive = 0 }
    cai' = drive + (cainf - cai)/taur
}
