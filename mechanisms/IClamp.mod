TITLE IClamp: rectangular current pulse injected by an electrode

COMMENT
Written for Myelin. A current of amplitude amp (nA, positive depolarises) flows into the cell for
del <= t < del + dur and is zero otherwise. Same name, parameters and semantics as NEURON's
IClamp: an ELECTRODE_CURRENT (enters with the opposite sign of a membrane current), evaluated at
the time the membrane current is evaluated (mid-step in the fixed-step method).
ENDCOMMENT

NEURON {
    POINT_PROCESS IClamp
    RANGE del, dur, amp, i
    ELECTRODE_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
}

PARAMETER {
    del (ms)
    dur (ms) <0,1e9>
    amp (nA)
}

ASSIGNED {
    i (nA)
}

INITIAL {
    i = 0
}

BREAKPOINT {
    : at_time marks the pulse edges for variable-step integrators; fixed step ignores it.
    at_time(del)
    at_time(del + dur)
    if (t < del + dur && t >= del) {
        i = amp
    } else {
        i = 0
    }
}
