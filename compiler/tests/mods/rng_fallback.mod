: A stochastic synapse in the style of published models: a uniform draw from a hoc Random object
: when one is attached (C code), else from the NMODL fallback; and the procedure that attaches it.
NEURON { POINT_PROCESS rngsyn RANGE p, tau, e, i NONSPECIFIC_CURRENT i POINTER rng }
PARAMETER { p = 0.5 tau = 2 (ms) e = 0 (mV) }
ASSIGNED { v (mV) i (nA) rng }
STATE { g (uS) }
INITIAL { g = 0 }
BREAKPOINT { SOLVE s METHOD cnexp  i = g*(v - e) }
DERIVATIVE s { g' = -g/tau }
NET_RECEIVE(w (uS)) {
    if (urand() < p) {
        g = g + w
    }
}
FUNCTION urand() {
VERBATIM
    double value;
    if (_p_rng) {
        value = nrn_random_pick(_p_rng);
        return value;
    } else {
ENDVERBATIM
        value = scop_random()
VERBATIM
    }
ENDVERBATIM
    urand = value
}
PROCEDURE setRNG() {
VERBATIM
    void** pv = (void**)(&_p_rng);
    *pv = nrn_random_arg(1);
ENDVERBATIM
}
