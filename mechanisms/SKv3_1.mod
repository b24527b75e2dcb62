TITLE SKv3_1: Kv3-like fast delayed-rectifier potassium current

COMMENT
Written for Myelin from the published equations.

Kinetics: the Kv3.1 (Shaw-related) delayed rectifier of Rettig et al. (1992) EMBO J 11:2473-2486,
in the form used by Hay, Hill, Schürmann, Markram & Segev (2011) PLoS Comput Biol 7:e1002107
(Text S1, "SKv3_1"), the channel set of the BluePyOpt L5PC example. Names and numerical form
follow that model (parameter gSKv3_1bar_SKv3_1). No temperature correction.

    i = gbar m (v - ek)
    m_inf = 1/(1 + exp((v - 18.7)/-9.7))
    tau_m = 0.2 * 20/(1 + exp((v + 46.56)/-44.14))   (ms, mV)
ENDCOMMENT

NEURON {
    SUFFIX SKv3_1
    USEION k READ ek WRITE ik
    RANGE gSKv3_1bar, gSKv3_1, ik
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gSKv3_1bar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    gSKv3_1 (S/cm2)
    mInf
    mTau (ms)
}

STATE {
    m
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    gSKv3_1 = gSKv3_1bar*m
    ik = gSKv3_1*(v - ek)
}

DERIVATIVE states {
    rates()
    m' = (mInf - m)/mTau
}

INITIAL {
    rates()
    m = mInf
}

PROCEDURE rates() {
UNITSOFF
    mInf = 1/(1 + exp(((v - (18.700))/(-9.700))))
    mTau = 0.2*20.000/(1 + exp(((v - (-46.560))/(-44.140))))
UNITSON
}
