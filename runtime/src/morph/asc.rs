//! Neurolucida ASC reader with NEURON's `Import3d_Neurolucida3` rules.
//!
//! The grammar is NEURON's recursive descent (objects, contours, trees with splits, markers,
//! properties, sets, spines, text); only soma contours (`"CellBody"`, `"Cell Body"`, `"Soma"`)
//! and trees become sections. A tree's type comes from its last property (`Axon`, `Dendrite`,
//! `Apical`; anything else is type 0). A branch whose first point differs from its parent's last
//! point gets a copy of that point (with the branch's first diameter). Contours move to the front;
//! contours whose xy bounding boxes overlap the previous one form a stack. Every tree root
//! starting inside a soma's bounding box (±0.5 µm), or else the nearest soma, is attached to the
//! soma at 0.5 with a logical (wire) connection from the soma centre.

use super::asc_lex::{tokenize, Tok, TokKind};
use super::error::MorphError;
use super::import3d::{self, RawSection};
use super::Morphology;

/// Reads a Neurolucida ASC file from memory. `file` names it in diagnostics.
pub fn parse_asc(text: &[u8], file: &str) -> Result<Morphology, MorphError> {
    parse_asc_with_warnings(text, file).map(|(m, _)| m)
}

/// Like [`parse_asc`], also returning what NEURON would have warned about.
pub fn parse_asc_with_warnings(text: &[u8], file: &str) -> Result<(Morphology, Vec<MorphError>), MorphError> {
    let toks = tokenize(text);
    let mut p = Parser {
        toks,
        pos: 0,
        file,
        pts: Vec::new(),
        pt_line: Vec::new(),
        secs: Vec::new(),
        parentsec: None,
        sectype: 0,
        last_property: None,
        warnings: Vec::new(),
        depth: 0,
    };
    p.objects()?;
    if !matches!(p.cur().kind, TokKind::Eof) {
        let t = p.cur().clone();
        p.warnings.push(
            MorphError::at(file, t.line, t.col, "text after the last object is ignored (as NEURON does)")
                .with_hint("check for an unbalanced parenthesis above this point"),
        );
    }
    let mut warnings = std::mem::take(&mut p.warnings);
    let raws = connect2soma(p.secs, &mut warnings, file)?;
    let m = import3d::instantiate(raws, file)?;
    Ok((m, warnings))
}

/// Nesting limit: NEURON recurses without limit; we refuse absurd depths instead of overflowing
/// the stack.
const MAX_DEPTH: usize = 1000;

struct Parser<'f> {
    toks: Vec<Tok>,
    pos: usize,
    file: &'f str,
    /// All points read (x, y, z, d), as NEURON's global point vectors.
    pts: Vec<[f64; 4]>,
    pt_line: Vec<usize>,
    secs: Vec<RawSection>,
    parentsec: Option<usize>,
    sectype: i32,
    /// First item of the last property read (for the tree type).
    last_property: Option<String>,
    warnings: Vec<MorphError>,
    depth: usize,
}

type PResult<T> = Result<T, MorphError>;

fn describe(k: &TokKind) -> String {
    match k {
        TokKind::Eof => "end of file".into(),
        TokKind::Number(v) => format!("number {v}"),
        TokKind::LeftPar => "`(`".into(),
        TokKind::RightPar => "`)`".into(),
        TokKind::Comma => "`,`".into(),
        TokKind::Bar => "`|`".into(),
        TokKind::Set => "`set`".into(),
        TokKind::Rgb => "`RGB`".into(),
        TokKind::Str(s) => format!("string \"{s}\""),
        TokKind::Label(s) => format!("`{s}`"),
        TokKind::Err(m) => m.clone(),
        TokKind::LeftSp => "`<`".into(),
        TokKind::RightSp => "`>`".into(),
    }
}

impl<'f> Parser<'f> {
    fn tok(&self, k: usize) -> &Tok {
        let i = (self.pos + k).min(self.toks.len() - 1);
        &self.toks[i]
    }
    fn cur(&self) -> &Tok {
        self.tok(0)
    }
    fn la(&self) -> &TokKind {
        &self.tok(1).kind
    }
    fn la2(&self) -> &TokKind {
        &self.tok(2).kind
    }
    fn next(&mut self) {
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
    }
    fn is(&self, k: &TokKind) -> bool {
        std::mem::discriminant(&self.cur().kind) == std::mem::discriminant(k)
    }

    fn err(&self, expected: &str) -> MorphError {
        let t = self.cur();
        let found = describe(&t.kind);
        let msg = if let TokKind::Err(m) = &t.kind {
            format!("lexical error: {m}")
        } else {
            format!("parse error: expected {expected}, found {found}")
        };
        MorphError::at(self.file, t.line, t.col, msg).with_hint(
            "NEURON's Neurolucida reader would stop here too; check the parentheses around this line",
        )
    }

    fn chk(&self, k: TokKind, expected: &str) -> PResult<()> {
        if self.is(&k) {
            Ok(())
        } else {
            Err(self.err(expected))
        }
    }
    fn demand(&mut self, k: TokKind, expected: &str) -> PResult<()> {
        self.next();
        self.chk(k, expected)
    }
    fn optionalcomma(&mut self) {
        if self.is(&TokKind::Comma) {
            self.next();
        }
    }
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(MorphError::at(self.file, self.cur().line, self.cur().col, "nesting too deep")
                .with_hint("more than 1000 nested levels; the file is probably corrupt"));
        }
        Ok(())
    }
    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn objects(&mut self) -> PResult<()> {
        self.object()?;
        loop {
            self.optionalcomma();
            if !self.is(&TokKind::LeftPar) {
                break;
            }
            self.object()?;
        }
        Ok(())
    }

    fn object(&mut self) -> PResult<()> {
        self.enter()?;
        if !self.is(&TokKind::LeftPar) {
            return Err(self.err("`(` starting an object"));
        }
        match self.la() {
            TokKind::Str(_) => self.contour()?,
            TokKind::Label(_) => self.marker_or_property()?,
            TokKind::LeftPar => self.tree_or_text()?,
            TokKind::Set => self.p_set()?,
            _ => {
                self.next();
                return Err(self.err("a string, a label, `(` or `set` after `(`"));
            }
        }
        self.leave();
        Ok(())
    }

    fn marker_or_property(&mut self) -> PResult<()> {
        if matches!(self.la2(), TokKind::LeftPar) {
            self.marker()
        } else {
            self.property()
        }
    }

    fn tree_or_text(&mut self) -> PResult<()> {
        // Tree and text both start with `( properties point`; NEURON tries text and rolls back.
        let save = self.pos;
        let npts = self.pts.len();
        let prop = self.last_property.clone();
        if self.text()? {
            return Ok(());
        }
        self.pos = save;
        self.pts.truncate(npts);
        self.pt_line.truncate(npts);
        self.last_property = prop;
        self.tree()
    }

    fn properties(&mut self) -> PResult<()> {
        self.last_property = None;
        if self.is(&TokKind::LeftPar) && matches!(self.la(), TokKind::Label(_) | TokKind::Set) {
            self.property_or_set()?;
            loop {
                self.optionalcomma();
                if !(self.is(&TokKind::LeftPar) && matches!(self.la(), TokKind::Label(_) | TokKind::Set)) {
                    break;
                }
                self.property_or_set()?;
            }
        }
        Ok(())
    }

    fn property_or_set(&mut self) -> PResult<()> {
        if matches!(self.la(), TokKind::Label(_)) {
            self.property()
        } else {
            self.p_set()
        }
    }

    fn property(&mut self) -> PResult<()> {
        self.chk(TokKind::LeftPar, "`(`")?;
        self.demand(TokKind::Label(String::new()), "a property name")?;
        if let TokKind::Label(s) = &self.cur().kind {
            self.last_property = Some(s.clone());
        }
        self.next();
        self.optionalvalues()?;
        self.chk(TokKind::RightPar, "`)` closing the property")?;
        self.next();
        Ok(())
    }

    fn is_value(&self) -> bool {
        matches!(self.cur().kind, TokKind::Number(_) | TokKind::Str(_) | TokKind::Label(_) | TokKind::Rgb)
    }

    fn optionalvalues(&mut self) -> PResult<()> {
        while self.is_value() {
            self.value()?;
        }
        Ok(())
    }

    fn value(&mut self) -> PResult<()> {
        if self.is(&TokKind::Rgb) {
            self.demand(TokKind::LeftPar, "`(` after RGB")?;
            self.demand(TokKind::Number(0.0), "a number")?;
            self.next();
            self.optionalcomma();
            self.chk(TokKind::Number(0.0), "a number")?;
            self.next();
            self.optionalcomma();
            self.chk(TokKind::Number(0.0), "a number")?;
            self.demand(TokKind::RightPar, "`)` closing RGB")?;
        }
        self.next();
        Ok(())
    }

    fn p_set(&mut self) -> PResult<()> {
        self.enter()?;
        self.chk(TokKind::LeftPar, "`(`")?;
        self.demand(TokKind::Set, "`set`")?;
        self.demand(TokKind::Str(String::new()), "the set's name (a string)")?;
        self.next();
        if !self.is(&TokKind::RightPar) {
            self.objects()?;
        }
        self.chk(TokKind::RightPar, "`)` closing the set")?;
        self.next();
        self.leave();
        Ok(())
    }

    fn contour(&mut self) -> PResult<()> {
        self.chk(TokKind::LeftPar, "`(`")?;
        let begin = self.pts.len();
        self.demand(TokKind::Str(String::new()), "the contour's name")?;
        let line = self.cur().line;
        let keep =
            matches!(&self.cur().kind, TokKind::Str(s) if s == "CellBody" || s == "Cell Body" || s == "Soma");
        self.next();
        self.properties()?;
        self.points()?;
        if keep {
            let end = self.pts.len();
            if end - begin > 2 {
                self.sectype = 1;
                self.newsec(begin, end)?;
                let k = self.secs.len() - 1;
                self.secs[k].contour = true;
            } else {
                let t = self.cur();
                self.warnings.push(MorphError::at(
                    self.file,
                    line,
                    0,
                    format!("CellBody contour has less than three points (ends at line {}); ignored", t.line),
                ));
            }
        }
        self.chk(TokKind::RightPar, "`)` closing the contour")?;
        self.next();
        Ok(())
    }

    fn markerlist(&mut self) -> PResult<()> {
        self.chk(TokKind::LeftPar, "`(`")?;
        let mut pcnt = 1usize;
        while pcnt != 0 {
            self.next();
            match &self.cur().kind {
                TokKind::RightPar => pcnt -= 1,
                TokKind::LeftPar => pcnt += 1,
                TokKind::Eof | TokKind::Err(_) => return Err(self.err("`)` closing the marker")),
                _ => {}
            }
        }
        self.next();
        Ok(())
    }

    fn set_sectype(&mut self) {
        self.sectype = match self.last_property.as_deref() {
            Some("Axon") => 2,
            Some("Dendrite") => 3,
            Some("Apical") => 4,
            _ => 0,
        };
    }

    fn tree(&mut self) -> PResult<()> {
        self.parentsec = None;
        self.chk(TokKind::LeftPar, "`(`")?;
        self.next();
        self.properties()?;
        self.set_sectype();
        self.branch()?;
        self.chk(TokKind::RightPar, "`)` closing the tree")?;
        self.next();
        self.parentsec = None;
        Ok(())
    }

    fn branch(&mut self) -> PResult<()> {
        self.enter()?;
        let psav = self.parentsec;
        let begin = self.pts.len();
        let first_tok = self.cur().clone();
        self.treepoints()?;
        let end = self.pts.len();
        if end == begin {
            return Err(MorphError::at(self.file, first_tok.line, first_tok.col, "a branch without points")
                .with_hint("every branch of a tree needs at least one point `(x y z d)`"));
        }
        self.newsec(begin, end)?;
        let k = self.secs.len() - 1;
        self.secs[k].parent = self.parentsec;
        self.parentsec = Some(k);
        self.branchend()?;
        self.parentsec = psav;
        self.leave();
        Ok(())
    }

    /// `need_extra` + `newsec`.
    fn newsec(&mut self, begin: usize, end: usize) -> PResult<()> {
        let mut sec = RawSection::new(self.sectype, self.pt_line.get(begin).copied().unwrap_or(0));
        if let Some(p) = self.parentsec {
            let last = *self.secs[p].pts.last().expect("sections have points");
            let f = self.pts[begin];
            if !(last[0] == f[0] && last[1] == f[1] && last[2] == f[2]) {
                sec.pts.push([last[0], last[1], last[2], f[3]]);
            }
        }
        sec.pts.extend_from_slice(&self.pts[begin..end]);
        self.secs.push(sec);
        Ok(())
    }

    fn treepoints(&mut self) -> PResult<()> {
        self.treepoint()?;
        loop {
            self.optionalcomma();
            if !(self.is(&TokKind::LeftPar) && matches!(self.la(), TokKind::Number(_))) {
                break;
            }
            self.treepoint()?;
        }
        Ok(())
    }

    fn treepoint(&mut self) -> PResult<()> {
        if matches!(self.la(), TokKind::Label(_)) {
            self.marker_or_property()
        } else {
            self.point()?;
            if self.is(&TokKind::LeftSp) {
                while self.is(&TokKind::LeftSp) {
                    self.spine()?;
                }
            }
            Ok(())
        }
    }

    fn spine(&mut self) -> PResult<()> {
        self.chk(TokKind::LeftSp, "`<`")?;
        self.next();
        self.properties()?;
        // Spines are recorded by NEURON for display only; their point is read and dropped.
        self.chk(TokKind::LeftPar, "`(` starting the spine point")?;
        self.demand(TokKind::Number(0.0), "a number")?;
        self.next();
        self.optionalcomma();
        self.chk(TokKind::Number(0.0), "a number")?;
        self.next();
        let mut scratch = [0.0; 2];
        self.optz(&mut scratch)?;
        self.chk(TokKind::RightPar, "`)` closing the spine point")?;
        self.next();
        self.chk(TokKind::RightSp, "`>` closing the spine")?;
        self.next();
        Ok(())
    }

    fn branchend(&mut self) -> PResult<()> {
        self.optionalcomma();
        if self.is(&TokKind::LeftPar) {
            while matches!(self.la(), TokKind::Label(_)) {
                self.markerlist()?;
            }
        }
        self.optionalcomma();
        if self.is(&TokKind::LeftPar) || matches!(self.cur().kind, TokKind::Label(_)) {
            self.node()?;
        }
        Ok(())
    }

    fn node(&mut self) -> PResult<()> {
        if self.is(&TokKind::LeftPar) {
            self.next();
            self.split()?;
            self.chk(TokKind::RightPar, "`)` closing the split")?;
            self.next();
        } else {
            // A label such as `Normal`, `Incomplete`, `Generated`.
            self.next();
        }
        Ok(())
    }

    fn split(&mut self) -> PResult<()> {
        self.branch()?;
        while self.is(&TokKind::Bar) {
            self.next();
            self.branch()?;
        }
        Ok(())
    }

    fn marker(&mut self) -> PResult<()> {
        self.chk(TokKind::LeftPar, "`(`")?;
        self.demand(TokKind::Label(String::new()), "the marker's name")?;
        self.next();
        self.properties()?;
        // As in NEURON, a marker's points go into the global point list (and so into the branch
        // being read when the marker is the branch's first item).
        self.points()?;
        self.chk(TokKind::RightPar, "`)` closing the marker")?;
        self.next();
        Ok(())
    }

    /// `( properties point string )`; Ok(false) when this is not a text (then it is a tree).
    fn text(&mut self) -> PResult<bool> {
        self.chk(TokKind::LeftPar, "`(`")?;
        self.next();
        self.properties()?;
        self.point()?;
        if !matches!(self.cur().kind, TokKind::Str(_)) {
            return Ok(false);
        }
        self.next();
        if !self.is(&TokKind::RightPar) {
            return Ok(false);
        }
        self.next();
        Ok(true)
    }

    fn points(&mut self) -> PResult<()> {
        self.point()?;
        loop {
            self.optionalcomma();
            if !self.is(&TokKind::LeftPar) {
                break;
            }
            self.point()?;
        }
        Ok(())
    }

    fn number(&self) -> f64 {
        match self.cur().kind {
            TokKind::Number(v) => v,
            _ => 0.0,
        }
    }

    fn point(&mut self) -> PResult<()> {
        self.chk(TokKind::LeftPar, "`(` starting a point")?;
        self.demand(TokKind::Number(0.0), "the point's x coordinate")?;
        let (line, col) = (self.cur().line, self.cur().col);
        let x = self.number();
        self.next();
        self.optionalcomma();
        self.chk(TokKind::Number(0.0), "the point's y coordinate")?;
        let y = self.number();
        self.next();
        let mut zd = [0.0, 0.0];
        self.optz(&mut zd)?;
        self.chk(TokKind::RightPar, "`)` closing the point")?;
        self.next();
        let p = [x, y, zd[0], zd[1]];
        if p.iter().any(|v| !v.is_finite()) {
            return Err(MorphError::at(self.file, line, col, "a point has a non-finite value")
                .with_hint("coordinates and diameters must be finite numbers"));
        }
        if p[3] < 0.0 {
            return Err(MorphError::at(self.file, line, col, format!("negative diameter {}", p[3]))
                .with_hint("NEURON rejects negative diameters"));
        }
        self.pts.push(p);
        self.pt_line.push(line);
        Ok(())
    }

    fn optz(&mut self, zd: &mut [f64; 2]) -> PResult<()> {
        self.optionalcomma();
        if let TokKind::Number(z) = self.cur().kind {
            zd[0] = z;
            self.next();
            // optmodifier
            self.optionalcomma();
            if let TokKind::Number(d) = self.cur().kind {
                zd[1] = d;
                self.next();
                self.optionalcomma();
                if matches!(self.cur().kind, TokKind::Label(_)) {
                    self.next();
                }
                // optbezier
                self.optionalcomma();
                if self.is(&TokKind::LeftPar) {
                    self.demand(TokKind::Number(0.0), "a number")?;
                    self.next();
                    for _ in 0..2 {
                        self.optionalcomma();
                        self.chk(TokKind::Number(0.0), "a number")?;
                        self.next();
                    }
                    self.optionalcomma();
                    self.chk(TokKind::Number(0.0), "a number")?;
                    self.demand(TokKind::RightPar, "`)`")?;
                    self.next();
                }
            }
        }
        Ok(())
    }
}

/// xy bounding box of a contour: (xmin, ymin, zmin, xmax, ymax, zmax).
fn bounding_box(s: &RawSection) -> [f64; 6] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::INFINITY, -f64::INFINITY, -f64::INFINITY, -f64::INFINITY];
    for p in &s.pts {
        for k in 0..3 {
            b[k] = b[k].min(p[k]);
            b[k + 3] = b[k + 3].max(p[k]);
        }
    }
    b
}

fn xy_intersect(a: &[f64; 6], b: &[f64; 6]) -> bool {
    for i in 0..2 {
        if a[i] > b[3 + i] || b[i] > a[3 + i] {
            return false;
        }
    }
    true
}

/// `connect2soma`: contours to the front, contour stacks, and tree roots attached to somata.
fn connect2soma(
    mut secs: Vec<RawSection>,
    warnings: &mut Vec<MorphError>,
    file: &str,
) -> Result<Vec<RawSection>, MorphError> {
    // Stable partition: contours first. Parent indices must follow the permutation.
    let order: Vec<usize> = (0..secs.len())
        .filter(|&i| secs[i].contour)
        .chain((0..secs.len()).filter(|&i| !secs[i].contour))
        .collect();
    let mut newpos = vec![0usize; secs.len()];
    for (k, &i) in order.iter().enumerate() {
        newpos[i] = k;
    }
    let mut taken: Vec<Option<RawSection>> = secs.drain(..).map(Some).collect();
    let mut secs: Vec<RawSection> = order.iter().map(|&i| taken[i].take().expect("each once")).collect();
    for s in secs.iter_mut() {
        s.parent = s.parent.map(|p| newpos[p]);
    }
    let mut somas: Vec<usize> = (0..secs.len()).filter(|&i| secs[i].contour).collect();
    // soma_contour_stack: a contour whose xy box overlaps the previous contour's box joins the
    // current stack.
    if !somas.is_empty() {
        let mut first = somas[0];
        let mut bb1 = bounding_box(&secs[first]);
        let mut kept = vec![first];
        for &next in &somas[1..] {
            let bb2 = bounding_box(&secs[next]);
            if xy_intersect(&bb1, &bb2) {
                secs[first].stack.push(next);
                secs[next].subsidiary = true;
            } else {
                first = next;
                kept.push(next);
            }
            bb1 = bb2;
        }
        somas = kept;
    }
    let mut roots: Vec<usize> =
        (0..secs.len()).filter(|&i| !secs[i].contour && secs[i].parent.is_none()).collect();
    if somas.is_empty() {
        return Ok(secs);
    }
    let mut centers = Vec::new();
    for &s in &somas {
        let (xmin, xmax, ymin, ymax);
        let center;
        if secs[s].stack.is_empty() {
            let b = bounding_box(&secs[s]);
            (xmin, xmax, ymin, ymax) = (b[0] - 0.5, b[3] + 0.5, b[1] - 0.5, b[4] + 0.5);
            let x: Vec<f64> = secs[s].pts.iter().map(|p| p[0]).collect();
            let y: Vec<f64> = secs[s].pts.iter().map(|p| p[1]).collect();
            let z: Vec<f64> = secs[s].pts.iter().map(|p| p[2]).collect();
            center = super::contour::contourcenter(&x, &y, &z).center;
        } else {
            let mut b = bounding_box(&secs[s]);
            for &k in &secs[s].stack {
                let c = bounding_box(&secs[k]);
                for j in 0..3 {
                    b[j] = b[j].min(c[j]);
                    b[j + 3] = b[j + 3].max(c[j + 3]);
                }
            }
            (xmin, xmax, ymin, ymax) = (b[0], b[3], b[1], b[4]);
            center = stack_center(&secs, s);
        }
        centers.push(center);
        let mut i = roots.len();
        while i > 0 {
            i -= 1;
            let r = roots[i];
            let p0 = secs[r].pts[0];
            if p0[0] >= xmin && p0[0] <= xmax && p0[1] >= ymin && p0[1] <= ymax {
                attach(&mut secs[r], s, center);
                roots.remove(i);
            }
        }
    }
    for &r in &roots {
        let p0 = secs[r].pts[0];
        let mut imin = 0;
        let mut dmin = 1e9;
        for (j, c) in centers.iter().enumerate() {
            let d = ((p0[0] - c[0]).powi(2) + (p0[1] - c[1]).powi(2) + (p0[2] - c[2]).powi(2)).sqrt();
            if d < dmin {
                imin = j;
                dmin = d;
            }
        }
        warnings.push(
            MorphError::at(
                file,
                secs[r].line,
                0,
                "main branch starts outside the soma bounding boxes: connected to the centre of the nearest soma",
            )
            .with_hint("NEURON makes the same logical connection"),
        );
        attach(&mut secs[r], somas[imin], centers[imin]);
    }
    Ok(secs)
}

/// Attach a tree root to a soma at 0.5 with a wire from the soma centre.
fn attach(sec: &mut RawSection, soma: usize, center: [f64; 3]) {
    sec.parent = Some(soma);
    sec.parentx = 0.5;
    sec.pts.insert(0, [center[0], center[1], center[2], 0.01]);
    sec.first = 1;
}

/// `stk_center`: the point half way along the polyline of contour centres of a stack.
fn stack_center(secs: &[RawSection], s: usize) -> [f64; 3] {
    let cc = |r: &RawSection| {
        let x: Vec<f64> = r.pts.iter().map(|p| p[0]).collect();
        let y: Vec<f64> = r.pts.iter().map(|p| p[1]).collect();
        let z: Vec<f64> = r.pts.iter().map(|p| p[2]).collect();
        super::contour::contourcenter(&x, &y, &z).center
    };
    let mut cents = vec![cc(&secs[s])];
    let mut lens = vec![0.0];
    let mut len = 0.0;
    for &k in &secs[s].stack {
        let c = cc(&secs[k]);
        let p = cents[cents.len() - 1];
        len += ((c[0] - p[0]).powi(2) + (c[1] - p[1]).powi(2) + (c[2] - p[2]).powi(2)).sqrt();
        lens.push(len);
        cents.push(c);
    }
    let half = len / 2.0;
    if half == 0.0 {
        return cents[0];
    }
    let i = lens.iter().position(|&l| l > half).unwrap_or(lens.len() - 1).max(1);
    let th = (half - lens[i - 1]) / (lens[i] - lens[i - 1]);
    let mut out = [0.0; 3];
    for j in 0..3 {
        out[j] = th * cents[i][j] + (1.0 - th) * cents[i - 1][j];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_without_soma_keeps_its_sections() {
        let text = b"((Dendrite)\n (0 0 0 2)\n (0 10 0 2)\n (\n  (5 20 0 1)\n  |\n  (-5 20 0 1)\n )\n)\n";
        let m = parse_asc(text, "t.asc").unwrap();
        let names: Vec<&str> = m.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["dend[0]", "dend[1]", "dend[2]"]);
        // Children start with a copy of the parent's last point, with their own diameter.
        let c = &m.sections[1];
        assert_eq!((c.pts[0].y, c.pts[0].d, c.pts.len()), (10.0, 1.0, 2));
        assert_eq!((c.parent, c.parent_x), (Some(0), 1.0));
    }

    #[test]
    fn parse_errors_have_positions() {
        let e = parse_asc(b"((Dendrite)\n (0 0 0 2)\n (0 x 0 2)\n)\n", "t.asc").unwrap_err();
        assert_eq!((e.line, e.file.as_str()), (3, "t.asc"));
        let e = parse_asc(b"", "t.asc").unwrap_err();
        assert!(e.message.contains("end of file"), "{e}");
        let e = parse_asc(b"((Dendrite) (0 0 0 2) (1 0 0 2) ((Cross (1 2 3)", "t.asc").unwrap_err();
        assert!(e.line == 1, "{e}");
    }
}
