TITLE Exp2Syn: synapse with a difference-of-exponentials conductance

COMMENT
Written for Myelin. The conductance is the difference of two exponentials with rise time tau1 and
decay time tau2, normalised so that a single event of weight w gives a peak conductance of
exactly w. Same name, parameters and semantics as NEURON's Exp2Syn:

    i = g (v - e),  g = B - A
    A' = -A/tau1,  B' = -B/tau2   (cnexp: exact)
    on an event of weight w (uS):  A <- A + w factor,  B <- B + w factor
    factor = 1/(exp(-tp/tau2) - exp(-tp/tau1)),  tp = tau1 tau2/(tau2 - tau1) ln(tau2/tau1)
             (tp is the time of the peak)

tau1 must be below tau2: at INITIAL, tau1 is lowered to 0.9999 tau2 when tau1/tau2 > 0.9999 (the
single-exponential limit would divide by zero) and raised to 1e-9 tau2 when tau1/tau2 < 1e-9.
ENDCOMMENT

NEURON {
    POINT_PROCESS Exp2Syn
    RANGE tau1, tau2, e, i
    NONSPECIFIC_CURRENT i
    RANGE g
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau1 = 0.1 (ms) <1e-9,1e9>
    tau2 = 10 (ms) <1e-9,1e9>
    e = 0 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)
    factor
}

STATE {
    A (uS)
    B (uS)
}

INITIAL {
    LOCAL tp
    if (tau1/tau2 > 0.9999) {
        tau1 = 0.9999*tau2
    }
    if (tau1/tau2 < 1e-9) {
        tau1 = tau2*1e-9
    }
    A = 0
    B = 0
    tp = (tau1*tau2)/(tau2 - tau1)*log(tau2/tau1)
    factor = -exp(-tp/tau1) + exp(-tp/tau2)
    factor = 1/factor
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    g = B - A
    i = g*(v - e)
}

DERIVATIVE state {
    A' = -A/tau1
    B' = -B/tau2
}

NET_RECEIVE(weight (uS)) {
    A = A + weight*factor
    B = B + weight*factor
}
