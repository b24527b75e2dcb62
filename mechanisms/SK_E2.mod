TITLE SK_E2: small-conductance calcium-activated potassium current

COMMENT
Written for Myelin from the published equations.

Calcium dependence: the SK2 channel of Köhler et al. (1996) Science 273:1709-1714 (Hill
coefficient 4.8, half activation 0.43 uM), with a 1 ms relaxation, as used by Hay, Hill,
Schürmann, Markram & Segev (2011) PLoS Comput Biol 7:e1002107 (Text S1, "SK_E2"), the channel set
of the BluePyOpt L5PC example. Names and numerical form follow that model (parameter
gSK_E2bar_SK_E2). Voltage independent.

    i = gbar z (v - ek)
    z' = (z_inf - z)/zTau,   z_inf = 1/(1 + (0.00043/cai)^4.8)   (cai in mM)

Below 1e-7 mM the published model adds 1e-7 mM to the concentration (it keeps z_inf finite at
cai = 0); that is kept.
ENDCOMMENT

NEURON {
    SUFFIX SK_E2
    USEION k READ ek WRITE ik
    USEION ca READ cai
    RANGE gSK_E2bar, gSK_E2, ik
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
}

PARAMETER {
    gSK_E2bar = .000001 (mho/cm2)
    zTau = 1 (ms)
}

ASSIGNED {
    v (mV)
    ek (mV)
    cai (mM)
    ik (mA/cm2)
    gSK_E2 (S/cm2)
    zInf
}

STATE {
    z FROM 0 TO 1
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    gSK_E2 = gSK_E2bar*z
    ik = gSK_E2*(v - ek)
}

DERIVATIVE states {
    rates(cai)
    z' = (zInf - z)/zTau
}

INITIAL {
    rates(cai)
    z = zInf
}

PROCEDURE rates(ca (mM)) {
    LOCAL c
    c = ca
    if (c < 1e-7) {
        c = c + 1e-07
    }
    zInf = 1/(1 + (0.00043/c)^4.8)
}
