NEURON { SUFFIX cad USEION ca READ ica WRITE cai RANGE decay, depth, gamma, minCai }
UNITS { (mM) = (milli/liter) (um) = (micron) }
PARAMETER { gamma = 0.05 decay = 80 (ms) depth = 0.1 (um) minCai = 1e-4 (mM) }
ASSIGNED { ica (mA/cm2) }
STATE { cai (mM) }
BREAKPOINT { SOLVE states METHOD cnexp }
DERIVATIVE states { cai' = -(10000)*(ica*gamma/(2*96485.33212331001*depth)) - (cai - minCai)/decay }
