TITLE NetStim: spike generator, regular or with exponentially distributed intervals

COMMENT
Written for Myelin. An artificial cell that emits `number` events, the first at t = start and the
following ones every `interval` ms, with the parameter names and event semantics of NEURON's
NetStim with noise = 0:

    events at start, start + interval, ..., start + (number - 1) interval
    (each next event is scheduled `interval` after the delivery of the previous one)
    an incoming event with weight w > 0 while idle restarts the sequence at the time it arrives
    (its `number` events follow every `interval`, the first immediately); w < 0 stops it.

With noise > 0 each interval is (1 - noise)·interval plus noise·interval times a draw from a
negative exponential of mean 1 (NEURON's definition). The draws come from Myelin's per-instance
random streams (seeded by the run), so noisy trains match NEURON statistically, not bit for bit.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL NetStim
    RANGE interval, number, start, noise
}

PARAMETER {
    interval = 10 (ms) <1e-9,1e9> : time between spikes
    number = 10 <0,1e9> : number of spikes
    start = 50 (ms) : time of the first spike
    noise = 0 <0,1> : fraction of each interval that is random (0 regular, 1 Poisson)
}

ASSIGNED {
    event (ms)
    on
    ispike
}

INITIAL {
    on = 0
    ispike = 0
    if (noise < 0) {
        noise = 0
    }
    if (noise > 1) {
        noise = 1
    }
    if (start >= 0 && number > 0) {
        on = 1
        : flag 3 starts the train at `start` (regular: start + interval - interval).
        event = start + invl(interval) - interval*(1 - noise)
        if (event < 0) {
            event = 0
        }
        net_send(event, 3)
    }
}

PROCEDURE init_sequence(t (ms)) {
    if (number > 0) {
        on = 1
        event = 0
        ispike = 0
    }
}

FUNCTION invl(mean (ms)) (ms) {
    if (mean <= 0.) {
        mean = .01 (ms)
    }
    if (noise == 0) {
        invl = mean
    } else {
        invl = (1 - noise)*mean + noise*mean*exprand(1)
    }
}

PROCEDURE next_invl() {
    if (number > 0) {
        event = invl(interval)
    }
    if (ispike >= number) {
        on = 0
    }
}

NET_RECEIVE(w) {
    if (flag == 0) {
        : An event from a NetCon: w > 0 (re)starts an idle generator, w < 0 stops it.
        if (w > 0 && on == 0) {
            init_sequence(t)
            next_invl()
            event = event - interval*(1 - noise)
            net_send(event, 1)
        } else if (w < 0) {
            on = 0
        }
    }
    if (flag == 3) {
        : the start event scheduled by INITIAL
        if (on == 1) {
            init_sequence(t)
            net_send(0, 1)
        }
    }
    if (flag == 1 && on == 1) {
        ispike = ispike + 1
        net_event(t)
        next_invl()
        if (on == 1) {
            net_send(event, 1)
        }
    }
}
