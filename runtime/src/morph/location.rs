//! Locations `sec(x)`, NEURON's path distance, and BluePyOpt's distance-based locations.
//!
//! NEURON measures distances between *nodes*, not between exact positions: `sec(x)` for
//! 0 < x < 1 is the centre of the segment containing x, x = 0 is the node the section hangs from
//! (on its parent) and x = 1 the section's far end. `h.distance(a, b)` walks both nodes up the
//! tree to their common section and sums the lengths between nodes. The same holds for where a
//! child attaches: a child at `parent(0.3)` hangs from the centre of the parent segment holding
//! 0.3. This module reproduces that (`topol_distance`, `node_dist`, `node_exact` in NEURON).

use super::error::MorphError;
use super::geometry::segment_index;
use super::Morphology;

/// A position on a section: NEURON's `sec(x)`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// Section index.
    pub section: usize,
    /// Position along the section, 0..1 from its 0 end.
    pub x: f64,
}

/// A cable node: the root node below a root section, or node `i` (0..=nseg; nseg is the 1 end)
/// of a section.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Node {
    Root(usize),
    Sec(usize, usize),
}

/// How `NrnTrunkSomaDistanceCompLocation` picks the trunk's end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrunkDirection {
    /// The section whose last point goes furthest along this vector (BluePyOpt's default is
    /// +y).
    Along([f64; 3]),
    /// The section whose last point is furthest from the origin.
    Radial,
}

impl Morphology {
    /// Parses `name[i](x)` or `name(x)` (= `name[0](x)`), e.g. `soma[0](0.5)`, `dend[3](0.2)`.
    pub fn location(&self, spec: &str) -> Result<Location, MorphError> {
        let bad = |why: &str| {
            MorphError::general(format!("bad location `{spec}`: {why}"))
                .with_hint("write a location as section(x), e.g. soma[0](0.5) or dend[3](0.2)")
        };
        let s = spec.trim();
        let open = s.rfind('(').ok_or_else(|| bad("missing `(x)`"))?;
        if !s.ends_with(')') {
            return Err(bad("missing `)`"));
        }
        let x: f64 = s[open + 1..s.len() - 1].trim().parse().map_err(|_| bad("x is not a number"))?;
        if !(0.0..=1.0).contains(&x) {
            return Err(bad("x must be within 0..1"));
        }
        let name = s[..open].trim();
        let section = self
            .find(name)
            .or_else(|| if name.contains('[') { None } else { self.find(&format!("{name}[0]")) })
            .ok_or_else(|| bad(&format!("no section named `{name}`")))?;
        Ok(Location { section, x })
    }

    /// Depth of each section below its root (number of ancestors).
    fn depths(&self) -> Vec<usize> {
        let n = self.sections.len();
        let mut depth = vec![usize::MAX; n];
        for i in 0..n {
            // Walk up to a section of known depth (or past the root), then fill the path.
            let mut path = vec![];
            let mut cur = Some(i);
            let mut base = 0;
            while let Some(c) = cur {
                if depth[c] != usize::MAX {
                    base = depth[c] + 1;
                    break;
                }
                path.push(c);
                if path.len() > n {
                    break;
                }
                cur = self.sections[c].parent;
            }
            for (k, &c) in path.iter().rev().enumerate() {
                depth[c] = base + k;
            }
        }
        depth
    }

    /// The node a section hangs from (`sec->parentnode`). A section hanging from x = 0 of its
    /// parent shares the parent's own parent node, and so on up the tree.
    fn parent_node(&self, sec: usize) -> Node {
        let mut cur = sec;
        for _ in 0..=self.sections.len() {
            let s = &self.sections[cur];
            match s.parent {
                None => return Node::Root(cur),
                Some(p) if s.parent_x <= 0.0 => cur = p,
                Some(p) => return self.node_exact(p, s.parent_x),
            }
        }
        // Only reachable for a cyclic parent chain, which `validate` rejects.
        Node::Root(cur)
    }

    /// NEURON's `node_exact(sec, x)`.
    fn node_exact(&self, sec: usize, x: f64) -> Node {
        let nseg = self.sections[sec].nseg.max(1) as usize;
        if x <= 0.0 {
            self.parent_node(sec)
        } else if x >= 1.0 {
            Node::Sec(sec, nseg)
        } else {
            Node::Sec(sec, segment_index(nseg as u32, x))
        }
    }

    /// NEURON's `node_dist(sec, node)`: distance of a node of `sec` from the section's 0 end.
    fn node_dist(&self, sec: usize, node: Node) -> f64 {
        let s = &self.sections[sec];
        let nseg = s.nseg.max(1) as usize;
        if node == self.parent_node(sec) {
            return 0.0;
        }
        match node {
            Node::Sec(k, i) if k == sec => {
                if i == nseg {
                    s.length
                } else {
                    s.length * ((i as f64 + 0.5) / nseg as f64)
                }
            }
            _ => 0.0,
        }
    }

    /// NEURON's `h.distance(a, b)` between two locations (µm); 1e20 when they are in different
    /// trees.
    pub fn distance(&self, a: Location, b: Location) -> f64 {
        self.distance_with(&self.depths(), a, b)
    }

    /// `h.distance(a, b)` for each `b`, sharing the tree walk set-up.
    pub fn distances_from(&self, a: Location, bs: &[Location]) -> Vec<f64> {
        let depth = self.depths();
        bs.iter().map(|&b| self.distance_with(&depth, a, b)).collect()
    }

    fn distance_with(&self, depth: &[usize], a: Location, b: Location) -> f64 {
        let (mut s1, mut n1) = (Some(a.section), self.node_exact(a.section, a.x));
        let (mut s2, mut n2) = (Some(b.section), self.node_exact(b.section, b.x));
        let mut d = 0.0;
        let mut guard = 0;
        while s1 != s2 {
            guard += 1;
            if guard > 2 * self.sections.len() + 2 {
                return 1e20;
            }
            let up1 = match (s1, s2) {
                (None, _) => false,
                (_, None) => true,
                (Some(x), Some(y)) => depth[x] > depth[y],
            };
            if up1 {
                let s = s1.expect("moving a section");
                d += self.node_dist(s, n1);
                n1 = self.parent_node(s);
                s1 = self.sections[s].parent;
            } else {
                let s = s2.expect("moving a section");
                d += self.node_dist(s, n2);
                n2 = self.parent_node(s);
                s2 = self.sections[s].parent;
            }
        }
        match s1 {
            None => {
                if n1 != n2 {
                    return 1e20;
                }
            }
            Some(s) => {
                if n1 != n2 {
                    let x1 = self.node_dist(s, n1);
                    let x2 = self.node_dist(s, n2);
                    d += if x1 < x2 { x2 - x1 } else { x1 - x2 };
                }
            }
        }
        d
    }

    /// `soma[0](0.5)`, the origin BluePyOpt uses for distances.
    pub fn soma_center(&self) -> Result<Location, MorphError> {
        let section = self.find("soma[0]").ok_or_else(|| {
            MorphError::general("the morphology has no soma[0]")
                .with_hint("distances are measured from soma[0](0.5)")
        })?;
        Ok(Location { section, x: 0.5 })
    }

    /// `h.distance(soma[0](0.5), loc)`.
    pub fn soma_distance(&self, loc: Location) -> Result<f64, MorphError> {
        Ok(self.distance(self.soma_center()?, loc))
    }

    /// `NrnSeclistCompLocation`: section `index` of a section list, at x.
    pub fn seclist_location(&self, seclist: &str, index: usize, x: f64) -> Result<Location, MorphError> {
        let list = self.section_list(seclist)?;
        let section = *list.get(index).ok_or_else(|| {
            MorphError::general(format!(
                "section index {index} falls out of section list `{seclist}` of size {}",
                list.len()
            ))
        })?;
        Ok(Location { section, x })
    }

    /// BluePyOpt's `find_icomp`: among `secs`, the last one whose [start, end] distance range
    /// contains `distance`, at the proportional x, provided its diameter there is positive.
    fn find_icomp(&self, secs: &[usize], distance: f64) -> Result<Location, MorphError> {
        let origin = self.soma_center()?;
        let depth = self.depths();
        let mut found = None;
        for &s in secs {
            let start = self.distance_with(&depth, origin, Location { section: s, x: 0.0 });
            let end = self.distance_with(&depth, origin, Location { section: s, x: 1.0 });
            let (lo, hi) = (start.min(end), start.max(end));
            if lo <= distance && distance <= hi {
                if hi == lo {
                    return Err(MorphError::general(format!(
                        "section {} has zero length at {distance} µm from the soma",
                        self.sections[s].name
                    ))
                    .with_hint("BluePyOpt would divide by zero here"));
                }
                let x = (distance - lo) / (hi - lo);
                if self.sections[s].diam_at(x) > 0.0 {
                    found = Some(Location { section: s, x });
                }
            }
        }
        found.ok_or_else(|| {
            MorphError::general(format!("no compartment found at {distance} µm from the soma"))
                .with_hint("check the distance and the section list")
        })
    }

    /// `NrnSomaDistanceCompLocation`: the point at `distance` µm from `soma[0](0.5)` in a section
    /// list (the last section of the list that reaches that distance).
    pub fn soma_distance_location(&self, seclist: &str, distance: f64) -> Result<Location, MorphError> {
        let list = self.section_list(seclist)?;
        self.find_icomp(&list, distance)
    }

    /// `NrnSecSomaDistanceCompLocation`: the point at `distance` µm from the soma on the path
    /// from section `index` of a list down to `soma[0]`.
    pub fn sec_soma_distance_location(
        &self,
        seclist: &str,
        index: usize,
        distance: f64,
    ) -> Result<Location, MorphError> {
        let start = self.seclist_location(seclist, index, 0.5)?.section;
        let mut branches = vec![];
        let mut cur = start;
        let mut guard = 0;
        while self.sections[cur].name != "soma[0]" {
            branches.push(cur);
            guard += 1;
            match self.sections[cur].parent {
                Some(p) if guard <= self.sections.len() => cur = p,
                _ => {
                    return Err(MorphError::general(format!(
                        "soma[0] was not reached from section {index} of `{seclist}`"
                    )))
                }
            }
        }
        self.find_icomp(&branches, distance)
    }

    /// `NrnTrunkSomaDistanceCompLocation`: like [`Self::sec_soma_distance_location`] for the
    /// section of the list whose last 3-D point goes furthest in `direction`.
    pub fn trunk_soma_distance_location(
        &self,
        seclist: &str,
        distance: f64,
        direction: TrunkDirection,
    ) -> Result<Location, MorphError> {
        let list = self.section_list(seclist)?;
        let mut best: Option<(usize, f64)> = None;
        for (k, &s) in list.iter().enumerate() {
            let p = self.sections[s].pts.last().ok_or_else(|| {
                MorphError::general(format!("section {} has no 3-D points", self.sections[s].name))
            })?;
            let v = match direction {
                TrunkDirection::Along(d) => p.x * d[0] + p.y * d[1] + p.z * d[2],
                TrunkDirection::Radial => (p.x * p.x + p.y * p.y + p.z * p.z).sqrt(),
            };
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((k, v));
            }
        }
        let (index, _) =
            best.ok_or_else(|| MorphError::general(format!("empty section list `{seclist}`")))?;
        self.sec_soma_distance_location(seclist, index, distance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::morph::{Section, SectionKind};

    fn sec(name: &str, parent: Option<usize>, px: f64, l: f64, nseg: u32) -> Section {
        Section {
            name: name.into(),
            kind: if parent.is_none() { SectionKind::Soma } else { SectionKind::Dend },
            parent,
            parent_x: px,
            orientation: 0.0,
            pts: vec![],
            length: l,
            diam: 1.0,
            nseg,
            seg_diam: vec![],
        }
    }

    fn cell() -> Morphology {
        Morphology {
            sections: vec![
                sec("soma[0]", None, 0.0, 20.0, 1),
                sec("dend[0]", Some(0), 1.0, 100.0, 5),
                sec("dend[1]", Some(1), 1.0, 50.0, 1),
                sec("dend[2]", Some(1), 0.3, 40.0, 3),
                sec("dend[3]", Some(0), 0.0, 30.0, 2),
            ],
        }
    }

    #[test]
    fn distances_use_segment_centres() {
        let m = cell();
        let o = m.location("soma(0.5)").unwrap();
        let at = |s: &str| m.distance(o, m.location(s).unwrap());
        assert_eq!(at("soma[0](0.5)"), 0.0);
        // dend[0](0.5): node 2 of 5, centre at 50 → 10 + 50.
        assert_eq!(at("dend[0](0.5)"), 60.0);
        // x = 0.42 is in segment 2 as well.
        assert_eq!(at("dend[0](0.42)"), 60.0);
        assert_eq!(at("dend[0](1)"), 110.0);
        assert_eq!(at("dend[1](0.5)"), 135.0);
        // dend[2] hangs from dend[0](0.3) = centre of segment 1 at 30.
        assert_eq!(at("dend[2](0)"), 40.0);
        assert!((at("dend[2](0.5)") - (40.0 + 20.0)).abs() < 1e-12);
        // dend[3] hangs from soma(0): 10 back to the soma's 0 end, then 7.5 to its first centre.
        assert_eq!(at("dend[3](0.1)"), 17.5);
        assert!(m.location("axon[0](0.5)").is_err());
        assert!(m.location("dend[0](1.5)").is_err());
    }

    #[test]
    fn soma_distance_location_takes_the_last_match() {
        let m = cell();
        let l = m.soma_distance_location("basal", 45.0).unwrap();
        // dend[0] spans 10..110 (x = 0.35), dend[2] spans 40..80 (x = 0.125): the last wins.
        assert_eq!(m.sections[l.section].name, "dend[2]");
        assert!((l.x - 0.125).abs() < 1e-12);
        let l = m.sec_soma_distance_location("basal", 1, 45.0).unwrap();
        assert_eq!((m.sections[l.section].name.as_str(), l.x), ("dend[0]", 0.35));
        assert!(m.soma_distance_location("basal", 1e4).is_err());
    }
}
