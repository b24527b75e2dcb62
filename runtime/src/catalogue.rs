//! The catalogue: mechanism name → metadata and kernels.
//!
//! The engine never knows where a mechanism comes from (JIT, ahead-of-time object, or Rust code
//! written against the ABI); whoever builds a simulation fills a catalogue first.

use crate::abi::{FieldRole, Kernels, MechanismKind, MechanismMeta};

/// One registered mechanism.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    /// What the mechanism is.
    pub meta: MechanismMeta,
    /// Its entry points.
    pub kernels: Kernels,
}

/// Registered mechanisms, in registration order (which is also the order in which the engine calls
/// them in each phase, like NEURON's mechanism type order).
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    entries: Vec<CatalogueEntry>,
}

impl Catalogue {
    /// An empty catalogue.
    pub fn new() -> Catalogue {
        Catalogue::default()
    }

    /// Registers a mechanism. Names must be unique, and the metadata must agree with the kernels.
    pub fn register(&mut self, meta: MechanismMeta, kernels: Kernels) -> Result<(), String> {
        if self.get(&meta.name).is_some() {
            return Err(format!("mechanism `{}` is already in the catalogue", meta.name));
        }
        if meta.net_receive_args > 0 && kernels.net_receive.is_none() {
            return Err(format!(
                "mechanism `{}` declares {} NET_RECEIVE arguments but has no net_receive kernel",
                meta.name, meta.net_receive_args
            ));
        }
        if meta.kind == MechanismKind::Density && kernels.net_receive.is_some() {
            return Err(format!("density mechanism `{}` cannot have a NET_RECEIVE block", meta.name));
        }
        if meta.kind == MechanismKind::Artificial && meta.writes_current {
            return Err(format!("artificial cell `{}` cannot write a membrane current", meta.name));
        }
        let mut seen = std::collections::HashSet::new();
        for f in &meta.fields {
            if !seen.insert(f.name.as_str()) {
                return Err(format!("mechanism `{}` has two fields named `{}`", meta.name, f.name));
            }
        }
        self.entries.push(CatalogueEntry { meta, kernels });
        Ok(())
    }

    /// The entry of a mechanism.
    pub fn get(&self, name: &str) -> Option<&CatalogueEntry> {
        self.entries.iter().find(|e| e.meta.name == name)
    }

    /// Position of a mechanism in registration order.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.meta.name == name)
    }

    /// All entries in registration order.
    pub fn entries(&self) -> &[CatalogueEntry] {
        &self.entries
    }

    /// Names in registration order (for hints in error messages).
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.meta.name.as_str()).collect()
    }
}

/// Names of the user-settable fields (RANGE parameters) of a mechanism.
pub fn parameter_names(meta: &MechanismMeta) -> Vec<&str> {
    meta.fields.iter().filter(|f| f.role == FieldRole::Parameter).map(|f| f.name.as_str()).collect()
}
