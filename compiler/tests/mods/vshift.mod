: BBP-style rate function that nudges the mechanism's copy of v away from a 0/0 point.
NEURON { SUFFIX vshift USEION na READ ena WRITE ina RANGE gbar }
PARAMETER { gbar = 0.01 (S/cm2) }
ASSIGNED { v (mV) ena (mV) ina (mA/cm2) mInf mTau }
STATE { m }
BREAKPOINT { SOLVE states METHOD cnexp  ina = gbar*m*m*m*(v - ena) }
INITIAL { rates() m = mInf }
DERIVATIVE states { rates() m' = (mInf - m)/mTau }
PROCEDURE rates() { LOCAL a, b
  if (v == -38) { v = v + 0.0001 }
  a = 0.182*(v + 38)/(1 - exp(-(v + 38)/6))
  b = 0.124*(-v - 38)/(1 - exp((v + 38)/6))
  mInf = a/(a + b)
  mTau = 1/(a + b)
}
