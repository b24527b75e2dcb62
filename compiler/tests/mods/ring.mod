: Alpha-function synapse that remembers its last spike times in a ring buffer indexed at run
: time (PyNN's alphasyn pattern), written to exercise run-time array indices.
NEURON { POINT_PROCESS ring RANGE tau, e, i, n NONSPECIFIC_CURRENT i }
DEFINE NMAX 5
PARAMETER { tau = 2 (ms) e = 0 (mV) }
ASSIGNED { v (mV) i (nA) n onset[NMAX] (ms) w[NMAX] }
INITIAL {
    n = 0
    FROM k = 0 TO NMAX - 1 {
        onset[k] = -1e9
        w[k] = 0
    }
}
BREAKPOINT {
    LOCAL g, x
    g = 0
    FROM k = 0 TO NMAX - 1 {
        x = (t - onset[k])/tau
        if (x > 0 && x < 50) {
            g = g + w[k]*x*exp(1 - x)
        }
    }
    i = g*(v - e)
}
NET_RECEIVE(weight) {
    onset[n] = t
    w[n] = weight
    n = n + 1
    if (n >= NMAX) {
        n = 0
    }
}
