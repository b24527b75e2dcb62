: Integrate-and-fire point process with a WATCH threshold, a reset of v and a noisy refractory
: period, written to exercise WATCH, writable v in NET_RECEIVE and random numbers.
NEURON { POINT_PROCESS iaf RANGE vth, vreset, tref NONSPECIFIC_CURRENT i }
PARAMETER { vth = -50 (mV) vreset = -70 (mV) tref = 2 (ms) }
ASSIGNED { v (mV) i (nA) }
STATE { u }
INITIAL { u = 0 net_send(0, 1) }
BREAKPOINT { SOLVE s METHOD cnexp  i = 0.001*u }
DERIVATIVE s { u' = -u/10 }
NET_RECEIVE(w) {
  if (flag == 1) {
    WATCH (v > vth) 2
  } else if (flag == 2) {
    v = vreset
    u = u + 1
    net_event(t)
    net_send(tref + exprand(0.5), 3)
  } else if (flag == 3) {
    net_send(0, 1)
  } else {
    u = u + w*normrand(1, 0.1)
  }
}
