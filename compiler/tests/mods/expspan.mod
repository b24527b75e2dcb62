COMMENT
Exponentials over NEURON's whole clamped range and beyond: the common range, the library's special
scalings (|x| >= 512), tiny arguments (|x| < 2^-54) and NEURON's clamps at -700 and 700. x is a
random field in [0, 1).
ENDCOMMENT

NEURON {
    SUFFIX expspan
    RANGE x, y1, y2, y3, y4, y5
}

PARAMETER {
    x = 0
}

ASSIGNED {
    y1
    y2
    y3
    y4
    y5
}

INITIAL {
    y1 = exp(1400*x - 700)
    y2 = exp((x - 0.5)*1e-15)
    y3 = exp(2000*x - 1000)
    y4 = exp(60*x - 30)
    y5 = exp(1200*x - 600)
}
