TITLE SEClamp: single-electrode voltage clamp with series resistance, three levels

COMMENT
Written for Myelin. An electrode drives the membrane towards a command voltage vc through a
series resistance rs:  i = (vc - v)/rs  (nA; positive depolarises, as for IClamp). The command
is amp1 for t < dur1, amp2 for dur1 <= t < dur1 + dur2, amp3 until dur1 + dur2 + dur3, and
the clamp is off (i = 0) afterwards. Same name, parameters and semantics as NEURON's SEClamp:
the current is recomputed after the voltage update of each step (SOLVE icur METHOD after_cvode),
so the recorded i is (vc - v(t))/rs for the v of the same time point.
ENDCOMMENT

NEURON {
    POINT_PROCESS SEClamp
    ELECTRODE_CURRENT i
    RANGE dur1, amp1, dur2, amp2, dur3, amp3, rs, vc, i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    rs = 1 (megohm) <1e-9,1e9>
    dur1 (ms)
    amp1 (mV)
    dur2 (ms) <0,1e9>
    amp2 (mV)
    dur3 (ms) <0,1e9>
    amp3 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
    vc (mV)
    tc2 (ms)
    tc3 (ms)
    on
}

INITIAL {
    tc2 = dur1 + dur2
    tc3 = tc2 + dur3
    on = 0
}

BREAKPOINT {
    : icur runs again after the voltage update so that i matches the new v; vstim gives the
    : current (and, through dI/dv, the conductance 1/rs) used in the implicit step.
    SOLVE icur METHOD after_cvode
    vstim()
}

PROCEDURE icur() {
    if (on) {
        i = (vc - v)/rs
    } else {
        i = 0
    }
}

PROCEDURE vstim() {
    on = 1
    : at_time marks the level changes for variable-step integrators; fixed step ignores it.
    if (dur1) {
        at_time(dur1)
    }
    if (dur2) {
        at_time(tc2)
    }
    if (dur3) {
        at_time(tc3)
    }
    if (t < dur1) {
        vc = amp1
    } else if (t < tc2) {
        vc = amp2
    } else if (t < tc3) {
        vc = amp3
    } else {
        vc = 0
        on = 0
    }
    icur()
}
