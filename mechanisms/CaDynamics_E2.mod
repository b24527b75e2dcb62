TITLE CaDynamics_E2: submembrane calcium pool with first-order decay

COMMENT
Written for Myelin from the published equations.

The intracellular calcium model of Hay, Hill, Schürmann, Markram & Segev (2011) PLoS Comput Biol
7:e1002107 (Text S1, "CaDynamics_E2"), the channel set of the BluePyOpt L5PC example: calcium
entering through the membrane (a fraction gamma escapes buffering) fills a shell of depth `depth`
under the membrane and decays to minCai with time constant `decay`. Names and numerical form
follow that model (parameters gamma_CaDynamics_E2, decay_CaDynamics_E2).

    dcai/dt = -10000 ica gamma/(2 F depth) - (cai - minCai)/decay
    (ica in mA/cm2, depth in um, cai in mM; 10000 converts um to cm and mA to mM/ms per cm3)

There is no INITIAL block, as in the published model: cai starts from the calcium ion's initial
concentration (cai0_ca_ion, 5e-5 mM by default), not from minCai.
ENDCOMMENT

NEURON {
    SUFFIX CaDynamics_E2
    USEION ca READ ica WRITE cai
    RANGE decay, gamma, minCai, depth
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    FARADAY = (faraday) (coulombs)
    (molar) = (1/liter)
    (mM) = (millimolar)
    (um) = (micron)
}

PARAMETER {
    gamma = 0.05 : fraction of free calcium (not buffered)
    decay = 80 (ms) : rate of removal of calcium
    depth = 0.1 (um) : depth of the submembrane shell
    minCai = 1e-4 (mM)
}

ASSIGNED {
    ica (mA/cm2)
}

STATE {
    cai (mM)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
}

DERIVATIVE states {
    cai' = -(10000)*(ica*gamma/(2*FARADAY*depth)) - (cai - minCai)/decay
}
