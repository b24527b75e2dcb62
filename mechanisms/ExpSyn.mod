TITLE ExpSyn: synapse with an exponentially decaying conductance

COMMENT
Written for Myelin. The conductance jumps by the connection's weight at each incoming event and
decays with time constant tau (a first-order kinetic scheme for transmitter-gated channels; see
Destexhe, Mainen & Sejnowski 1994, Neural Comput 6:14-18). Same name, parameters and semantics as
NEURON's ExpSyn, so models written for NEURON apply unchanged:

    i = g (v - e)   (nA, outward positive)
    g' = -g/tau     (advanced with cnexp: exact, g <- g exp(-dt/tau))
    on an event of weight w (uS):  g <- g + w
ENDCOMMENT

NEURON {
    POINT_PROCESS ExpSyn
    RANGE tau, e, i
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau = 0.1 (ms) <1e-9,1e9>
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
}

STATE {
    g (uS)
}

INITIAL {
    g = 0
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    i = g*(v - e)
}

DERIVATIVE state {
    g' = -g/tau
}

NET_RECEIVE(weight (uS)) {
    g = g + weight
}
