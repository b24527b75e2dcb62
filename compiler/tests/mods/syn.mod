NEURON { POINT_PROCESS syn RANGE tau, e, i NONSPECIFIC_CURRENT i }
PARAMETER { tau = 2 (ms) e = 0 (mV) }
ASSIGNED { v (mV) i (nA) }
STATE { g (uS) }
INITIAL { g = 0 }
BREAKPOINT { SOLVE state METHOD cnexp  i = g*(v - e) }
DERIVATIVE state { g' = -g/tau }
NET_RECEIVE(weight (uS)) { g = g + weight }
