//! The node layout of all cells in a simulation: topology (parent index), areas, axial
//! conductances and the matrix coefficients of NEURON's cable equation.
//!
//! Node order follows NEURON's thread layout: the root node of every cell first (the 0-end of its
//! root section, index = cell number), then for each cell its sections in an order where parents
//! precede children, each section as `nseg` segment centres followed by its zero-area 1-end node.
//! Every node's parent has a smaller index, so the Hines elimination runs from the last node to the
//! first without any further bookkeeping.

use crate::geometry::{section_geometry, SectionGeometry};
use crate::morph::Morphology;

/// Index of a node that has no parent.
pub const NO_PARENT: u32 = u32::MAX;

/// NEURON's "area" of a zero-area node. Its equation is written in nA and µS instead of mA/cm²
/// and S/cm², which is what an area of 100 µm² achieves in the 1e2/area conversions.
pub const END_NODE_AREA: f64 = 100.0;

/// What the layout needs to know about one cell.
#[derive(Debug, Clone, Copy)]
pub struct CellInput<'a> {
    /// The morphology.
    pub morph: &'a Morphology,
    /// nseg per section.
    pub nseg: &'a [u32],
    /// Axial resistivity per section (Ω·cm).
    pub ra: &'a [f64],
    /// Specific capacitance per section (µF/cm²).
    pub cm: &'a [f64],
}

/// The nodes of one section.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionNodes {
    /// Node of the first segment centre; the centres are `first .. first + nseg`.
    pub first: u32,
    /// Number of segments.
    pub nseg: u32,
    /// The zero-area node at the section's 1-end.
    pub end: u32,
    /// The node this section's first segment connects to (a node of its parent section, or the
    /// cell's root node).
    pub parent_node: u32,
    /// Section length L (µm).
    pub length: f64,
    /// Path distance (µm) of the section's 0-end from the centre of the root section.
    pub distance0: f64,
    /// True for the root section.
    pub is_root: bool,
}

/// The nodes of one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct CellNodes {
    /// The root node (0-end of the root section).
    pub root: u32,
    /// Per section, in morphology order.
    pub sections: Vec<SectionNodes>,
    /// Section indices in layout order (parents before children).
    pub order: Vec<usize>,
    /// Geometry per section (morphology order).
    pub geometry: Vec<SectionGeometry>,
}

/// A structural error in a cell's morphology.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutError {
    /// The cell.
    pub cell: usize,
    /// The section, if the problem is in one.
    pub section: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// The node layout of all cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Number of cells (= number of root nodes, which come first).
    pub n_cells: usize,
    /// Parent of every node ([`NO_PARENT`] for roots).
    pub parent: Vec<u32>,
    /// Node area (µm²); [`END_NODE_AREA`] for zero-area nodes.
    pub area: Vec<f64>,
    /// Node diameter (µm) as mechanisms see it.
    pub diam: Vec<f64>,
    /// Specific capacitance per node (µF/cm²), 0 for zero-area nodes.
    pub cm: Vec<f64>,
    /// 1 / resistance to the parent (µS), 0 for roots.
    pub rinv: Vec<f64>,
    /// Coefficient of this node's voltage in its parent's equation (NEURON's NODEA).
    pub a: Vec<f64>,
    /// Coefficient of the parent's voltage in this node's equation (NEURON's NODEB).
    pub b: Vec<f64>,
    /// Cell of every node.
    pub cell_of: Vec<u32>,
    /// Per cell.
    pub cells: Vec<CellNodes>,
}

impl Layout {
    /// Builds the layout; every structural problem is reported with its cell and section.
    pub fn build(cells: &[CellInput<'_>]) -> Result<Layout, LayoutError> {
        let n_cells = cells.len();
        let mut l = Layout {
            n_cells,
            parent: vec![NO_PARENT; n_cells],
            area: vec![END_NODE_AREA; n_cells],
            diam: vec![0.0; n_cells],
            cm: vec![0.0; n_cells],
            rinv: vec![0.0; n_cells],
            a: vec![0.0; n_cells],
            b: vec![0.0; n_cells],
            cell_of: (0..n_cells as u32).collect(),
            cells: Vec::with_capacity(n_cells),
        };
        for (ci, c) in cells.iter().enumerate() {
            let cell = l.add_cell(ci, c)?;
            l.cells.push(cell);
        }
        // Matrix coefficients (treeset.cpp: connection_coef).
        for i in n_cells..l.parent.len() {
            let p = l.parent[i] as usize;
            l.a[i] = -1.0e2 * l.rinv[i] / l.area[p];
            l.b[i] = -1.0e2 * l.rinv[i] / l.area[i];
        }
        Ok(l)
    }

    fn add_cell(&mut self, ci: usize, c: &CellInput<'_>) -> Result<CellNodes, LayoutError> {
        let secs = &c.morph.sections;
        let err = |section: Option<usize>, message: String| LayoutError { cell: ci, section, message };
        if secs.is_empty() {
            return Err(err(None, "the morphology has no sections".into()));
        }
        let n = secs.len();
        if c.nseg.len() != n || c.ra.len() != n || c.cm.len() != n {
            return Err(err(None, "per-section nseg/Ra/cm lists do not match the section count".into()));
        }
        let roots: Vec<usize> = (0..n).filter(|&i| secs[i].parent.is_none()).collect();
        if roots.len() != 1 {
            return Err(err(
                None,
                format!("a cell needs exactly one root section (without parent), found {}", roots.len()),
            ));
        }
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, s) in secs.iter().enumerate() {
            if let Some(p) = s.parent {
                if p >= n || p == i {
                    return Err(err(Some(i), format!("section `{}` has invalid parent index {p}", s.name)));
                }
                if !(0.0..=1.0).contains(&s.parent_x) {
                    return Err(err(
                        Some(i),
                        format!(
                            "section `{}` attaches at parent x = {} (must be in 0..1)",
                            s.name, s.parent_x
                        ),
                    ));
                }
                children[p].push(i);
            }
            if s.orientation != 0.0 {
                return Err(err(
                    Some(i),
                    format!(
                        "section `{}` is connected by its 1-end (orientation {}); only 0-end connections are supported",
                        s.name, s.orientation
                    ),
                ));
            }
        }
        // Parents before children: preorder walk from the root.
        let mut order = Vec::with_capacity(n);
        let mut stack = vec![roots[0]];
        while let Some(s) = stack.pop() {
            order.push(s);
            for &ch in children[s].iter().rev() {
                stack.push(ch);
            }
        }
        if order.len() != n {
            return Err(err(
                None,
                "some sections are not connected to the root (cycle in parent links)".into(),
            ));
        }
        let mut geometry = Vec::with_capacity(n);
        for (i, s) in secs.iter().enumerate() {
            let g = section_geometry(s, c.nseg[i], c.ra[i]).map_err(|m| err(Some(i), m))?;
            if !(c.cm[i] >= 0.0) || !c.cm[i].is_finite() {
                return Err(err(Some(i), format!("section `{}` has cm = {}", s.name, c.cm[i])));
            }
            geometry.push(g);
        }
        let root_node = ci as u32;
        let root = roots[0];
        self.diam[ci] = geometry[root].diam[0];
        let mut nodes: Vec<Option<SectionNodes>> = vec![None; n];
        for &s in &order {
            let sec = &secs[s];
            let g = &geometry[s];
            let nseg = c.nseg[s];
            let (parent_node, distance0) = match sec.parent {
                None => (root_node, -0.5 * g.length),
                Some(p) => {
                    let pn = nodes[p].as_ref().expect("parents precede children");
                    let node = node_exact(pn, sec.parent_x);
                    let d = if pn.is_root {
                        (sec.parent_x - 0.5).abs() * pn.length
                    } else {
                        pn.distance0 + sec.parent_x * pn.length
                    };
                    (node, d)
                }
            };
            let first = self.parent.len() as u32;
            for j in 0..nseg as usize {
                let parent = if j == 0 { parent_node } else { first + j as u32 - 1 };
                self.parent.push(parent);
                self.area.push(g.area[j]);
                self.diam.push(g.diam[j]);
                self.cm.push(c.cm[s]);
                self.rinv.push(g.rinv[j]);
                self.cell_of.push(ci as u32);
            }
            let end = self.parent.len() as u32;
            self.parent.push(end - 1);
            self.area.push(END_NODE_AREA);
            self.diam.push(g.diam[nseg as usize - 1]);
            self.cm.push(0.0);
            self.rinv.push(g.rinv[nseg as usize]);
            self.cell_of.push(ci as u32);
            nodes[s] = Some(SectionNodes {
                first,
                nseg,
                end,
                parent_node,
                length: g.length,
                distance0,
                is_root: sec.parent.is_none(),
            });
        }
        self.a.resize(self.parent.len(), 0.0);
        self.b.resize(self.parent.len(), 0.0);
        Ok(CellNodes {
            root: root_node,
            sections: nodes.into_iter().map(|s| s.expect("every section placed")).collect(),
            order,
            geometry,
        })
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.parent.len()
    }

    /// The node at `sec(x)` of a cell, as NEURON's `node_exact`: x = 0 is the node the section
    /// connects to, x = 1 its zero-area end node, otherwise the centre of the segment containing x.
    pub fn node_at(&self, cell: usize, section: usize, x: f64) -> u32 {
        node_exact(&self.cells[cell].sections[section], x)
    }

    /// Path distance (µm) of `sec(x)` from the centre of the root section.
    pub fn distance(&self, cell: usize, section: usize, x: f64) -> f64 {
        let s = &self.cells[cell].sections[section];
        if s.is_root {
            (x - 0.5).abs() * s.length
        } else {
            s.distance0 + x * s.length
        }
    }
}

/// Segment index (0-based) containing x in (0, 1), as NEURON's `node_index`.
pub fn segment_index(nseg: u32, x: f64) -> u32 {
    let n = nseg as f64;
    let i = (n * x) as u32;
    i.min(nseg - 1)
}

fn node_exact(s: &SectionNodes, x: f64) -> u32 {
    if x <= 0.0 {
        s.parent_node
    } else if x >= 1.0 {
        s.end
    } else {
        s.first + segment_index(s.nseg, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::morph::{Section, SectionKind};

    fn cyl(name: &str, parent: Option<usize>, px: f64, l: f64, d: f64, nseg: u32) -> Section {
        Section {
            name: name.into(),
            kind: SectionKind::Dend,
            parent,
            parent_x: px,
            orientation: 0.0,
            pts: vec![],
            length: l,
            diam: d,
            nseg,
            seg_diam: vec![],
        }
    }

    #[test]
    fn topology_and_locations() {
        let m = Morphology {
            sections: vec![
                cyl("soma", None, 0.0, 20.0, 20.0, 1),
                cyl("d1", Some(0), 1.0, 100.0, 2.0, 3),
                cyl("d2", Some(1), 0.5, 50.0, 1.0, 2),
                cyl("d3", Some(0), 0.0, 50.0, 1.0, 1),
            ],
        };
        let nseg: Vec<u32> = m.sections.iter().map(|s| s.nseg).collect();
        let l =
            Layout::build(&[CellInput { morph: &m, nseg: &nseg, ra: &[100.0; 4], cm: &[1.0; 4] }]).unwrap();
        // 1 root + (1+1) + (3+1) + (2+1) + (1+1)
        assert_eq!(l.n_nodes(), 12);
        for i in 1..l.n_nodes() {
            assert!((l.parent[i] as usize) < i);
        }
        let c = &l.cells[0];
        assert_eq!(c.sections[0].parent_node, 0);
        assert_eq!(c.sections[1].parent_node, c.sections[0].end);
        // d2 at d1(0.5) joins the centre of d1's second segment.
        assert_eq!(c.sections[2].parent_node, c.sections[1].first + 1);
        // d3 at soma(0) joins the root node.
        assert_eq!(c.sections[3].parent_node, 0);
        assert_eq!(l.node_at(0, 1, 0.0), c.sections[0].end);
        assert_eq!(l.node_at(0, 1, 1.0 / 3.0), c.sections[1].first + 1);
        assert_eq!(l.node_at(0, 1, 0.999), c.sections[1].first + 2);
        assert_eq!(l.distance(0, 0, 0.5), 0.0);
        assert_eq!(l.distance(0, 1, 0.5), 10.0 + 50.0);
        assert_eq!(l.distance(0, 2, 1.0), 10.0 + 50.0 + 50.0);
        assert_eq!(l.distance(0, 3, 0.0), 10.0);
        // Coefficients relate to the parent's area.
        let i = c.sections[1].first as usize;
        assert_eq!(l.a[i], -1e2 * l.rinv[i] / l.area[l.parent[i] as usize]);
        assert_eq!(l.area[c.sections[1].end as usize], END_NODE_AREA);
        assert_eq!(l.cm[c.sections[1].end as usize], 0.0);
    }

    #[test]
    fn structural_errors() {
        let two_roots =
            Morphology { sections: vec![cyl("a", None, 0.0, 1.0, 1.0, 1), cyl("b", None, 0.0, 1.0, 1.0, 1)] };
        let e =
            Layout::build(&[CellInput { morph: &two_roots, nseg: &[1, 1], ra: &[1.0; 2], cm: &[1.0; 2] }]);
        assert!(e.unwrap_err().message.contains("exactly one root"));
        let cyc = Morphology {
            sections: vec![
                cyl("a", None, 0.0, 1.0, 1.0, 1),
                cyl("b", Some(2), 1.0, 1.0, 1.0, 1),
                cyl("c", Some(1), 1.0, 1.0, 1.0, 1),
            ],
        };
        let e = Layout::build(&[CellInput { morph: &cyc, nseg: &[1, 1, 1], ra: &[1.0; 3], cm: &[1.0; 3] }]);
        assert!(e.unwrap_err().message.contains("not connected"));
    }
}
