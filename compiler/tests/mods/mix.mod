NEURON { SUFFIX mix NONSPECIFIC_CURRENT i RANGE g }
PARAMETER { g = 0.001 (S/cm2) e = -60 (mV) }
ASSIGNED { v (mV) i (mA/cm2) }
STATE { a b c }
BREAKPOINT { SOLVE s1 METHOD derivimplicit SOLVE s2 METHOD euler i = g*a*(v - e) + tf(v)*1e-6*b }
INITIAL { a = 0.1 b = 0.2 c = 0.3 }
DERIVATIVE s1 { a' = (1 - a)*a*2 - 0.1*a/(1 + a) }
DERIVATIVE s2 { b' = -b*c  c' = b - c }
FUNCTION tf(x (mV)) {
  TABLE DEPEND e FROM -100 TO 100 WITH 50
  tf = exp(x/50) + e/100
}
