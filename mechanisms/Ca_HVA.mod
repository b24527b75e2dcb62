TITLE Ca_HVA: high-voltage-activated calcium current

COMMENT
Written for Myelin from the published equations.

Kinetics: the high-voltage-activated Ca2+ current of Reuveni, Friedman, Amitai & Gutnick (1993)
J Neurosci 13:4609-4621, as used by Hay, Hill, Schürmann, Markram & Segev (2011) PLoS Comput Biol
7:e1002107 (Text S1, "Ca_HVA"), the channel set of the BluePyOpt L5PC example. Names and numerical
form follow that model (parameter gCa_HVAbar_Ca_HVA). No temperature correction; the driving
force uses eca (the Nernst potential when a mechanism such as CaDynamics_E2 writes cai).

    i = gbar m^2 h (v - eca)
    alpha_m = 0.055 (-27 - v)/(exp((-27 - v)/3.8) - 1)   beta_m = 0.94 exp((-75 - v)/17)
    alpha_h = 0.000457 exp((-13 - v)/50)                 beta_h = 0.0065/(exp((-v - 15)/28) + 1)
    x_inf = alpha/(alpha + beta), tau_x = 1/(alpha + beta)   (ms, mV)
ENDCOMMENT

NEURON {
    SUFFIX Ca_HVA
    USEION ca READ eca WRITE ica
    RANGE gCa_HVAbar, gCa_HVA, ica
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gCa_HVAbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
    gCa_HVA (S/cm2)
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
    gCa_HVA = gCa_HVAbar*m*m*h
    ica = gCa_HVA*(v - eca)
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
    LOCAL u
UNITSOFF
    : alpha_m is 0/0 at -27 mV: evaluated 0.1 uV beside it, as the published model does (on a
    : local copy of v).
    u = v
    if (u == -27) {
        u = u + 0.0001
    }
    mAlpha = (0.055*(-27 - u))/(exp((-27 - u)/3.8) - 1)
    mBeta = (0.94*exp((-75 - u)/17))
    mInf = mAlpha/(mAlpha + mBeta)
    mTau = 1/(mAlpha + mBeta)
    hAlpha = (0.000457*exp((-13 - u)/50))
    hBeta = (0.0065/(exp((-u - 15)/28) + 1))
    hInf = hAlpha/(hAlpha + hBeta)
    hTau = 1/(hAlpha + hBeta)
UNITSON
}
