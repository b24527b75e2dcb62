TITLE K_Pst: slow inactivating (persistent) potassium current

COMMENT
Written for Myelin from the published equations.

Kinetics: the slowly inactivating K+ current of layer 5 pyramidal neurons, Korngreen & Sakmann
(2000) J Physiol 525:621-639, shifted by -10 mV (junction potential) and corrected to 34 degC with
q10 = 2.3 as in Hay, Hill, Schürmann, Markram & Segev (2011) PLoS Comput Biol 7:e1002107
(Text S1, "K_Pst"), the channel set of the BluePyOpt L5PC example. Names and numerical form follow
that model (parameter gK_Pstbar_K_Pst).

With u = v + 10 (mV):
    i = gbar m^2 h (v - ek)
    m_inf = 1/(1 + exp(-(u + 1)/12))
    tau_m = (1.25 + 175.03 exp(0.026 u))/qt   for u < -50
            (1.25 + 13 exp(-0.026 u))/qt      otherwise
    h_inf = 1/(1 + exp((u + 54)/11))
    tau_h = (360 + (1010 + 24 (u + 55)) exp(-((u + 75)/48)^2))/qt   (ms)

qt = 2.3^((34 - 21)/10), fixed at the model's 34 degC.
ENDCOMMENT

NEURON {
    SUFFIX K_Pst
    USEION k READ ek WRITE ik
    RANGE gK_Pstbar, gK_Pst, ik
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gK_Pstbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    gK_Pst (S/cm2)
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
    gK_Pst = gK_Pstbar*m*m*h
    ik = gK_Pst*(v - ek)
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
    mInf = 1/(1 + exp(-(u + 1)/12))
    if (u < -50) {
        mTau = (1.25 + 175.03*exp(-u*-0.026))/qt
    } else {
        mTau = (1.25 + 13*exp(-u*0.026))/qt
    }
    hInf = 1/(1 + exp(-(u + 54)/-11))
    hTau = (360 + (1010 + 24*(u + 55))*exp(-((u + 75)/48)^2))/qt
UNITSON
}
