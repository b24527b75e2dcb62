TITLE Im: muscarinic (M-type) potassium current

COMMENT
Written for Myelin from the published equations.

Kinetics: the M current of Adams, Brown & Constanti (1982) J Physiol 330:537-572 in the
Boltzmann-rate form used by Hay, Hill, Schürmann, Markram & Segev (2011) PLoS Comput Biol
7:e1002107 (Text S1, "Im"), the channel set of the BluePyOpt L5PC example. Names and numerical
form follow that model (parameter gImbar_Im).

    i = gbar m (v - ek)
    alpha_m = 3.3e-3 exp(2.5 * 0.04 (v + 35))     beta_m = 3.3e-3 exp(-2.5 * 0.04 (v + 35))
    m_inf = alpha/(alpha + beta), tau_m = 1/((alpha + beta) qt)   (ms, mV)

qt = 2.3^((34 - 21)/10), fixed at the model's 34 degC.
ENDCOMMENT

NEURON {
    SUFFIX Im
    USEION k READ ek WRITE ik
    RANGE gImbar, gIm, ik
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gImbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    gIm (S/cm2)
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
    gIm = gImbar*m
    ik = gIm*(v - ek)
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
    LOCAL qt
    qt = 2.3^((34 - 21)/10)
UNITSOFF
    mAlpha = 3.3e-3*exp(2.5*0.04*(v - -35))
    mBeta = 3.3e-3*exp(-2.5*0.04*(v - -35))
    mInf = mAlpha/(mAlpha + mBeta)
    mTau = (1/(mAlpha + mBeta))/qt
UNITSON
}
