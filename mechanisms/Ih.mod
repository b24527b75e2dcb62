TITLE Ih: hyperpolarization-activated cation current (HCN)

COMMENT
Written for Myelin from the published equations.

Kinetics: the h current of layer 5 pyramidal neuron dendrites, Kole, Hallermann & Stuart (2006)
J Neurosci 26:1677-1687, as used by Hay, Hill, Schürmann, Markram & Segev (2011) PLoS Comput Biol
7:e1002107 (Text S1, "Ih"), the channel set of the BluePyOpt L5PC example. Names and numerical
form follow that model (parameter gIhbar_Ih; its somatodendritic gradient is a distribution of
gIhbar in the parameter file). No temperature correction; mixed cation current with fixed
reversal potential ehcn.

    i = gbar m (v - ehcn)
    alpha_m = 0.001 * 6.43 (v + 154.9)/(exp((v + 154.9)/11.9) - 1)
    beta_m = 0.001 * 193 exp(v/33.1)
    m_inf = alpha/(alpha + beta), tau_m = 1/(alpha + beta)   (ms, mV)
ENDCOMMENT

NEURON {
    SUFFIX Ih
    NONSPECIFIC_CURRENT ihcn
    RANGE gIhbar, gIh, ihcn
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gIhbar = 0.00001 (S/cm2)
    ehcn = -45.0 (mV)
}

ASSIGNED {
    v (mV)
    ihcn (mA/cm2)
    gIh (S/cm2)
    mInf
    mTau (ms)
    mAlpha
    mBeta
}

STATE {
    m
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    gIh = gIhbar*m
    ihcn = gIh*(v - ehcn)
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
    LOCAL u
UNITSOFF
    : alpha_m is 0/0 at -154.9 mV: evaluated 0.1 uV beside it, as the published model does (on
    : a local copy of v).
    u = v
    if (u == -154.9) {
        u = u + 0.0001
    }
    mAlpha = 0.001*6.43*(u + 154.9)/(exp((u + 154.9)/11.9) - 1)
    mBeta = 0.001*193*exp(u/33.1)
    mInf = mAlpha/(mAlpha + mBeta)
    mTau = 1/(mAlpha + mBeta)
UNITSON
}
