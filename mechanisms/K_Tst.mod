TITLE K_Tst: fast inactivating (transient) potassium current

COMMENT
Written for Myelin from the published equations.

Kinetics: the fast transient K+ current of layer 5 pyramidal neurons, Korngreen & Sakmann (2000)
J Physiol 525:621-639, shifted by -10 mV (junction potential) and corrected to 34 degC with
q10 = 2.3 as in Hay, Hill, Schürmann, Markram & Segev (2011) PLoS Comput Biol 7:e1002107
(Text S1, "K_Tst"), the channel set of the BluePyOpt L5PC example. Names and numerical form
follow that model (parameter gK_Tstbar_K_Tst).

With u = v + 10 (mV):
    i = gbar m^4 h (v - ek)
    m_inf = 1/(1 + exp(-u/19))
    tau_m = (0.34 + 0.92 exp(-((u + 71)/59)^2))/qt
    h_inf = 1/(1 + exp((u + 66)/10))
    tau_h = (8 + 49 exp(-((u + 73)/23)^2))/qt   (ms)

qt = 2.3^((34 - 21)/10), fixed at the model's 34 degC.
ENDCOMMENT

NEURON {
    SUFFIX K_Tst
    USEION k READ ek WRITE ik
    RANGE gK_Tstbar, gK_Tst, ik
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gK_Tstbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    gK_Tst (S/cm2)
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
    gK_Tst = gK_Tstbar*(m^4)*h
    ik = gK_Tst*(v - ek)
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
    mInf = 1/(1 + exp(-(u + 0)/19))
    mTau = (0.34 + 0.92*exp(-((u + 71)/59)^2))/qt
    hInf = 1/(1 + exp(-(u + 66)/-10))
    hTau = (8 + 49*exp(-((u + 73)/23)^2))/qt
UNITSON
}
