: Radial calcium diffusion in concentric shells (arrays, FROM loops, KINETIC with indexed species,
: COMPARTMENT i, CONSERVE-free), written to exercise array support.
NEURON { SUFFIX shells USEION ca READ ica WRITE cai RANGE DFree }
DEFINE N 4
UNITS { (mM) = (milli/liter) (um) = (micron) (mA) = (milliamp) FARADAY = (faraday) (coulomb) PI = (pi) (1) }
PARAMETER { DFree = 0.6 (um2/ms) }
ASSIGNED { diam (um) ica (mA/cm2) cai (mM) vol[N] frat[N] }
STATE { ca[N] (mM) }
INITIAL {
    LOCAL r, dr
    r = diam/2
    dr = r/N
    FROM i = 0 TO N-1 {
        vol[i] = PI*(r - i*dr)*(r - i*dr) - PI*(r - (i + 1)*dr)*(r - (i + 1)*dr)
        frat[i] = 2*PI*(r - i*dr)/dr
        ca[i] = 1e-4 + 1e-5*i
    }
    cai = ca[0]
}
BREAKPOINT { SOLVE state METHOD sparse }
KINETIC state {
    COMPARTMENT i, vol[i] {ca}
    ~ ca[0] << (-ica*PI*diam*(1e4)/(2*FARADAY))
    FROM i = 0 TO N-2 {
        ~ ca[i] <-> ca[i+1] (DFree*frat[i+1], DFree*frat[i+1])
    }
    cai = ca[0]
}
