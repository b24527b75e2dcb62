TITLE Ca_LVAst: low-voltage-activated (T-type) calcium current

COMMENT
Written for Myelin from the published equations.

Kinetics: the low-voltage-activated Ca2+ current of Avery & Johnston (1996) J Neurosci
16:5567-5582 with the time constants of Randall & Tsien (1997) Neuropharmacology 36:879-893,
shifted by -10 mV and corrected to 34 degC with q10 = 2.3 as in Hay, Hill, Schürmann, Markram &
Segev (2011) PLoS Comput Biol 7:e1002107 (Text S1, "Ca_LVAst"), the channel set of the BluePyOpt
L5PC example. Names and numerical form follow that model (parameter gCa_LVAstbar_Ca_LVAst).

With u = v + 10 (mV):
    i = gbar m^2 h (v - eca)
    m_inf = 1/(1 + exp((u + 30)/-6))      tau_m = (5 + 20/(1 + exp((u + 25)/5)))/qt
    h_inf = 1/(1 + exp((u + 80)/6.4))     tau_h = (20 + 50/(1 + exp((u + 40)/7)))/qt   (ms)

qt = 2.3^((34 - 21)/10), fixed at the model's 34 degC.
ENDCOMMENT

NEURON {
    SUFFIX Ca_LVAst
    USEION ca READ eca WRITE ica
    RANGE gCa_LVAstbar, gCa_LVAst, ica
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gCa_LVAstbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
    gCa_LVAst (S/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE {
    m
    h
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    gCa_LVAst = gCa_LVAstbar*m*m*h
    ica = gCa_LVAst*(v - eca)
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
    : The -10 mV shift of the published fits is applied by evaluating them at u = v + 10.
    u = v + 10
    mInf = 1.0000/(1 + exp((u - -30.000)/-6))
    mTau = (5.0000 + 20.0000/(1 + exp((u - -25.000)/5)))/qt
    hInf = 1.0000/(1 + exp((u - -80.000)/6.4))
    hTau = (20.0000 + 50.0000/(1 + exp((u - -40.000)/7)))/qt
UNITSON
}
