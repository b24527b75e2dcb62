//! Section lists: `all`, `somatic`, `axonal`, `basal`, `apical`, `myelinated`, and one per other
//! SWC type, each in section order (the order NEURON's `forsec` and BluePyOpt iterate).
//!
//! Membership follows the section kind, as Import3d's `mksubset` does for types 1–4 (`somatic`,
//! `axonal`, `basal`, `apical`) and other types (`dendritic_N`, `minus_Nset` for negative N).
//! `myelinated` holds type-5 sections: that is the SWC/Arbor convention BluePyOpt uses for its
//! Arbor export and the kind of the `myelin[0]` section BluePyEModel's axon replacement creates.
//! (NEURON's Import3d itself names type-5 sections `dend_5[i]` and would put them in
//! `dendritic_5`; they are in both lists here.)

use super::error::MorphError;
use super::{Morphology, SectionKind};

/// The kind a named section list selects, or `None` for `all`.
fn list_kind(name: &str) -> Option<Option<SectionKind>> {
    match name {
        "all" => Some(None),
        "somatic" => Some(Some(SectionKind::Soma)),
        "axonal" => Some(Some(SectionKind::Axon)),
        "basal" => Some(Some(SectionKind::Dend)),
        "apical" => Some(Some(SectionKind::Apic)),
        "myelinated" => Some(Some(SectionKind::Other(5))),
        _ => {
            if let Some(n) = name.strip_prefix("dendritic_") {
                let t: i32 = n.parse().ok()?;
                (t >= 0).then_some(Some(super::kind_of_type(t)))
            } else if let Some(n) = name.strip_prefix("minus_").and_then(|r| r.strip_suffix("set")) {
                let t: i32 = n.parse().ok()?;
                (t > 0).then_some(Some(SectionKind::Other(-t)))
            } else {
                None
            }
        }
    }
}

impl Morphology {
    /// The sections of a named list, in section order.
    ///
    /// Known names: `all`, `somatic`, `axonal`, `basal`, `apical`, `myelinated`, `dendritic_N`,
    /// `minus_Nset`. An unknown name is an error; a known list may be empty.
    pub fn section_list(&self, name: &str) -> Result<Vec<usize>, MorphError> {
        let Some(kind) = list_kind(name) else {
            return Err(MorphError::general(format!("unknown section list `{name}`")).with_hint(
                "section lists are all, somatic, axonal, basal, apical, myelinated, dendritic_N, minus_Nset",
            ));
        };
        Ok((0..self.sections.len()).filter(|&i| kind.is_none_or(|k| self.sections[i].kind == k)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::morph::Section;

    fn sec(name: &str, kind: SectionKind) -> Section {
        Section {
            name: name.into(),
            kind,
            parent: None,
            parent_x: 1.0,
            orientation: 0.0,
            pts: vec![],
            length: 10.0,
            diam: 1.0,
            nseg: 1,
            seg_diam: vec![],
        }
    }

    #[test]
    fn lists_by_kind_in_order() {
        let m = Morphology {
            sections: vec![
                sec("soma[0]", SectionKind::Soma),
                sec("dend[0]", SectionKind::Dend),
                sec("dend_5[0]", SectionKind::Other(5)),
                sec("apic[0]", SectionKind::Apic),
                sec("dend[1]", SectionKind::Dend),
                sec("minus_2[0]", SectionKind::Other(-2)),
            ],
        };
        assert_eq!(m.section_list("all").unwrap(), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(m.section_list("basal").unwrap(), vec![1, 4]);
        assert_eq!(m.section_list("myelinated").unwrap(), vec![2]);
        assert_eq!(m.section_list("dendritic_5").unwrap(), vec![2]);
        assert_eq!(m.section_list("minus_2set").unwrap(), vec![5]);
        assert!(m.section_list("axonal").unwrap().is_empty());
        assert!(m.section_list("bogus").is_err());
    }
}
