//! Loads the relocatable objects written by [`super::object`] into executable memory, without a
//! linker: sections are copied into one anonymous mapping, relocations are applied against the
//! object's own symbols and the helper table of [`super::helpers`], and the mapping is made
//! executable. x86-64 ELF only (what `myelin build` writes on this platform).

use super::helpers;
use memmap2::{Mmap, MmapMut};
use object::{Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget, SectionKind};
use std::collections::HashMap;

/// Executable code loaded from an object; symbols stay valid while this value lives.
pub struct LoadedObject {
    _map: Mmap,
    symbols: HashMap<String, usize>,
}

impl std::fmt::Debug for LoadedObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedObject").field("symbols", &self.symbols.len()).finish()
    }
}

impl LoadedObject {
    /// Address of a defined symbol.
    pub fn symbol(&self, name: &str) -> Option<*const u8> {
        self.symbols.get(name).map(|a| *a as *const u8)
    }
}

/// Why an object could not be loaded.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot load compiled mechanisms: {}", self.0)
    }
}

impl std::error::Error for LoadError {}

fn err(s: impl Into<String>) -> LoadError {
    LoadError(s.into())
}

/// Loads an object file's code and data.
pub fn load(bytes: &[u8]) -> Result<LoadedObject, LoadError> {
    let file = object::File::parse(bytes).map_err(|e| err(format!("not an object file: {e}")))?;
    if file.architecture() != object::Architecture::X86_64 {
        return Err(err(format!("unsupported architecture {:?}", file.architecture())));
    }
    // Lay out every allocated section.
    let mut offsets: HashMap<object::SectionIndex, usize> = HashMap::new();
    let mut total = 0usize;
    for s in file.sections() {
        if !matches!(
            s.kind(),
            SectionKind::Text
                | SectionKind::Data
                | SectionKind::ReadOnlyData
                | SectionKind::ReadOnlyString
                | SectionKind::UninitializedData
        ) {
            continue;
        }
        let align = s.align().max(1) as usize;
        total = total.div_ceil(align) * align;
        offsets.insert(s.index(), total);
        total += s.size() as usize;
    }
    let mut map = MmapMut::map_anon(total.max(1)).map_err(|e| err(e.to_string()))?;
    let base = map.as_ptr() as usize;
    for s in file.sections() {
        if let Some(off) = offsets.get(&s.index()) {
            if s.kind() != SectionKind::UninitializedData {
                let data = s.data().map_err(|e| err(e.to_string()))?;
                map[*off..*off + data.len()].copy_from_slice(data);
            }
        }
    }
    // Symbols defined in the object.
    let mut symbols = HashMap::new();
    let mut sym_addr: HashMap<object::SymbolIndex, usize> = HashMap::new();
    for sym in file.symbols() {
        if let Some(si) = sym.section_index() {
            if let Some(off) = offsets.get(&si) {
                let addr = base + off + sym.address() as usize;
                sym_addr.insert(sym.index(), addr);
                if let Ok(name) = sym.name() {
                    if !name.is_empty() {
                        symbols.insert(name.to_string(), addr);
                    }
                }
            }
        }
    }
    let helpers: HashMap<&str, usize> =
        helpers::symbol_table().into_iter().map(|(n, p)| (n, p as usize)).collect();
    // Relocations.
    for s in file.sections() {
        let Some(sec_off) = offsets.get(&s.index()).copied() else { continue };
        for (offset, rel) in s.relocations() {
            let target = match rel.target() {
                RelocationTarget::Symbol(si) => {
                    let sym = file.symbol_by_index(si).map_err(|e| err(e.to_string()))?;
                    match sym_addr.get(&si) {
                        Some(a) => *a,
                        None => {
                            let name = sym.name().map_err(|e| err(e.to_string()))?;
                            *helpers.get(name).ok_or_else(|| err(format!("unresolved symbol `{name}`")))?
                        }
                    }
                }
                RelocationTarget::Section(si) => {
                    base + *offsets.get(&si).ok_or_else(|| err("relocation against an unloaded section"))?
                }
                _ => return Err(err("unsupported relocation target")),
            };
            let place = sec_off + offset as usize;
            let value = (target as i64).wrapping_add(rel.addend());
            let (kind, size) = match rel.flags() {
                RelocationFlags::Elf { r_type } => (r_type, 0),
                _ => return Err(err("unsupported relocation encoding")),
            };
            let _ = size;
            match kind {
                // R_X86_64_64
                1 => map[place..place + 8].copy_from_slice(&(value as u64).to_le_bytes()),
                // R_X86_64_PC32, R_X86_64_PLT32
                2 | 4 => {
                    let p = (base + place) as i64;
                    let rel32 = value - p;
                    let v = i32::try_from(rel32).map_err(|_| err("PC-relative relocation out of range"))?;
                    map[place..place + 4].copy_from_slice(&v.to_le_bytes());
                }
                other => return Err(err(format!("unsupported x86-64 relocation type {other}"))),
            }
        }
    }
    let map = map.make_exec().map_err(|e| err(e.to_string()))?;
    Ok(LoadedObject { _map: map, symbols })
}
