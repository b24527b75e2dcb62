TITLE Nap_Et2: persistent sodium current

COMMENT
Written for Myelin from the published equations.

Steady states: Magistretti & Alonso (1999) J Gen Physiol 114:491-509 (persistent Na+ current of
entorhinal cortex layer II neurons). Activation time constant: six times that of the transient
sodium current (the kinetics of Colbert & Pan 2002 with the -38 mV midpoint), as described by
Hay, Hill, Schürmann, Markram & Segev (2011) PLoS Comput Biol 7:e1002107 (Text S1, "Nap_Et2"),
the channel set of the BluePyOpt L5PC example. Names and numerical form follow that model.

    i = gbar m^3 h (v - ena)
    m_inf = 1/(1 + exp(-(v + 52.6)/4.6))
    tau_m = 6/((alpha_m + beta_m) qt),  alpha_m, beta_m as NaTa_t (midpoint -38 mV)
    h_inf = 1/(1 + exp((v + 48.8)/10))
    alpha_h = -2.88e-6 (v + 17)/(1 - exp((v + 17)/4.63))
    beta_h = 6.94e-6 (v + 64.4)/(1 - exp(-(v + 64.4)/2.63))
    tau_h = 1/((alpha_h + beta_h) qt)   (ms, mV)

qt = 2.3^((34 - 21)/10): measured at 21 degC, fixed at the model's 34 degC.
ENDCOMMENT

NEURON {
    SUFFIX Nap_Et2
    USEION na READ ena WRITE ina
    RANGE gNap_Et2bar, gNap_Et2, ina
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gNap_Et2bar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    gNap_Et2 (S/cm2)
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
    gNap_Et2 = gNap_Et2bar*m*m*m*h
    ina = gNap_Et2*(v - ena)
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
    u = v
    mInf = 1.0/(1 + exp((u + 52.6)/-4.6))
    : 0/0 at -38, -17 and -64.4 mV: evaluated 0.1 uV beside them, as the published model does
    : (on a local copy of v).
    if (u == -38) {
        u = u + 0.0001
    }
    mAlpha = (0.182*(u + 38))/(1 - exp(-(u + 38)/6))
    mBeta = (0.124*(-u - 38))/(1 - exp((u + 38)/6))
    mTau = 6*(1/(mAlpha + mBeta))/qt
    if (u == -17) {
        u = u + 0.0001
    }
    if (u == -64.4) {
        u = u + 0.0001
    }
    hInf = 1.0/(1 + exp((u + 48.8)/10))
    hAlpha = -2.88e-6*(u + 17)/(1 - exp((u + 17)/4.63))
    hBeta = 6.94e-6*(u + 64.4)/(1 - exp(-(u + 64.4)/2.63))
    hTau = (1/(hAlpha + hBeta))/qt
UNITSON
}
