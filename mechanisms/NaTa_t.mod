TITLE NaTa_t: fast inactivating (transient) sodium current, axonal variant

COMMENT
Written for Myelin from the published equations.

Kinetics: Colbert & Pan (2002) Nat Neurosci 5:533-538, with the axonal half-activation and
half-inactivation of Hay, Hill, Schürmann, Markram & Segev (2011) PLoS Comput Biol 7:e1002107
(Text S1, "NaTa_t"), the channel set of the BluePyOpt L5PC example. Names and numerical form
follow that model (parameter gNaTa_tbar_NaTa_t).

    i = gbar m^3 h (v - ena)
    alpha_m = 0.182 (v + 38) / (1 - exp(-(v + 38)/6))      beta_m = 0.124 (-v - 38) / (1 - exp((v + 38)/6))
    alpha_h = -0.015 (v + 66) / (1 - exp((v + 66)/6))      beta_h = -0.015 (-v - 66) / (1 - exp(-(v + 66)/6))
    x_inf = alpha/(alpha + beta), tau_x = 1/((alpha + beta) qt)  (ms, mV)

qt = 2.3^((34 - 21)/10): measured at 21 degC, fixed at the model's 34 degC (independent of
`celsius`), as in the published model.
ENDCOMMENT

NEURON {
    SUFFIX NaTa_t
    USEION na READ ena WRITE ina
    RANGE gNaTa_tbar, gNaTa_t, ina
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gNaTa_tbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    gNaTa_t (S/cm2)
    mInf
    mTau (ms)
    mAlpha
    mBeta
    hInf
    hTau (ms)
    hAlpha
    hBeta
}

STATE {
    m
    h
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    gNaTa_t = gNaTa_tbar*m*m*m*h
    ina = gNaTa_t*(v - ena)
}

DERIVATIVE states {
    rates()
    m' = (mInf - m)/mTau
    h' = (hInf - h)/hTau
}

INITIAL {
    rates()
    m = mInf
    h = hInf
}

PROCEDURE rates() {
    LOCAL qt, u
    qt = 2.3^((34 - 21)/10)
UNITSOFF
    : 0/0 at the midpoints: the published model evaluates 0.1 uV beside them (on a local copy
    : here, so that the membrane voltage is never changed).
    u = v
    if (u == -38) {
        u = u + 0.0001
    }
    mAlpha = (0.182*(u + 38))/(1 - exp(-(u + 38)/6))
    mBeta = (0.124*(-u - 38))/(1 - exp((u + 38)/6))
    mTau = (1/(mAlpha + mBeta))/qt
    mInf = mAlpha/(mAlpha + mBeta)
    if (u == -66) {
        u = u + 0.0001
    }
    hAlpha = (-0.015*(u + 66))/(1 - exp((u + 66)/6))
    hBeta = (-0.015*(-u - 66))/(1 - exp(-(u + 66)/6))
    hTau = (1/(hAlpha + hBeta))/qt
    hInf = hAlpha/(hAlpha + hBeta)
UNITSON
}
