TITLE NaTs2_t: fast inactivating (transient) sodium current, somatic/dendritic variant

COMMENT
Written for Myelin from the published equations.

Kinetics: Colbert & Pan (2002) Nat Neurosci 5:533-538, as fitted for the soma and apical dendrite
of the layer 5 pyramidal cell by Hay, Hill, Schürmann, Markram & Segev (2011) PLoS Comput Biol
7:e1002107 (Text S1, "NaTs2_t"), the channel set of the Blue Brain Project's BluePyOpt L5PC
example. The name, parameter names and numerical form follow that model so that parameter files
written for it (gNaTs2_tbar_NaTs2_t) apply unchanged and traces agree with NEURON's to rounding.

    i = gbar m^3 h (v - ena)
    alpha_m = 0.182 (v + 32) / (1 - exp(-(v + 32)/6))      beta_m = 0.124 (-v - 32) / (1 - exp((v + 32)/6))
    alpha_h = -0.015 (v + 60) / (1 - exp((v + 60)/6))      beta_h = -0.015 (-v - 60) / (1 - exp(-(v + 60)/6))
    x_inf = alpha/(alpha + beta), tau_x = 1/((alpha + beta) qt)  (ms, mV)

The rates were measured at 21 degC; qt = 2.3^((34 - 21)/10) is fixed at the model's 34 degC (it
does not follow `celsius`), as in the published model.
ENDCOMMENT

NEURON {
    SUFFIX NaTs2_t
    USEION na READ ena WRITE ina
    RANGE gNaTs2_tbar, gNaTs2_t, ina
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gNaTs2_tbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    gNaTs2_t (S/cm2)
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
    gNaTs2_t = gNaTs2_tbar*m*m*m*h
    ina = gNaTs2_t*(v - ena)
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
    : Both rate expressions are 0/0 at their midpoint; the published model steps 0.1 uV off it.
    : A local copy is nudged so that the membrane voltage itself is never changed.
    u = v
    if (u == -32) {
        u = u + 0.0001
    }
    mAlpha = (0.182*(u + 32))/(1 - exp(-(u + 32)/6))
    mBeta = (0.124*(-u - 32))/(1 - exp((u + 32)/6))
    mInf = mAlpha/(mAlpha + mBeta)
    mTau = (1/(mAlpha + mBeta))/qt
    if (u == -60) {
        u = u + 0.0001
    }
    hAlpha = (-0.015*(u + 60))/(1 - exp((u + 60)/6))
    hBeta = (-0.015*(-u - 60))/(1 - exp(-(u + 60)/6))
    hInf = hAlpha/(hAlpha + hBeta)
    hTau = (1/(hAlpha + hBeta))/qt
UNITSON
}
