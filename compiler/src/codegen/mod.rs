//! MIR → Cranelift IR → native code, generic over `cranelift_module::Module`, so that the JIT
//! ([`jit`]) and ahead-of-time objects ([`object`]) come from the same code.
//!
//! Every entry point is one function over all instances: it loads the argument block's base
//! pointers once, then loops over instances; per instance it loads every field the body uses into
//! SSA variables, runs the body, and stores the fields it wrote. Implicit systems get a residual
//! function each and call the Newton solver of `solve::newton`. Math functions other than those
//! Cranelift has as instructions (sqrt, fabs, floor, ceil, trunc) are calls to the runtime
//! helpers in [`helpers`], which are also what the interpreter uses.

pub mod helpers;
pub mod jit;
pub mod load;
pub mod object;
mod vector;

use crate::mir::{Bin, Body, ExprId, MathFn, Mechanism, Node, Place, Stmt, Un};
use crate::nmodl::sema::IonVarKind;
use crate::solve::newton;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind,
    Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::{DataId, FuncId, Linkage, Module, ModuleError};
use myelin_runtime::abi::{IonColumns, KernelArgs, Services};
use std::collections::{BTreeSet, HashMap};
use std::mem::offset_of;

/// Error from code generation (always an internal error: MIR was validated).
#[derive(Debug)]
pub struct CodegenError(pub String);

impl std::fmt::Display for CodegenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "code generation failed: {}", self.0)
    }
}

impl std::error::Error for CodegenError {}

impl From<ModuleError> for CodegenError {
    fn from(e: ModuleError) -> Self {
        CodegenError(format!("{e:?}"))
    }
}

/// Choices of the code generator.
#[derive(Debug, Clone, Copy)]
pub struct CodegenOptions {
    /// Run two instances per iteration with f64x2 vectors where the body allows it.
    pub vectorize: bool,
    /// Call the C library's exp lane by lane rather than Myelin's inline exp (`mir::exp`, the
    /// library's algorithm and equal to it bit for bit on machines with FMA; what the interpreter
    /// and constant folding use). The inline form is the default: on the L5PC channels' state
    /// kernels (bench/kernels.sh) it is 1.4–1.75× faster than calling the library.
    pub libm_exp: bool,
}

impl Default for CodegenOptions {
    fn default() -> Self {
        CodegenOptions { vectorize: true, libm_exp: false }
    }
}

/// Symbol names of the entry points of mechanism `name` (used by JIT and objects alike).
pub fn symbol(prefix: &str, entry: &str) -> String {
    format!("myelin_{prefix}_{entry}")
}

/// The function ids of a mechanism's entry points in a module.
#[derive(Debug, Default, Clone)]
pub struct EntryIds {
    /// `init`.
    pub init: Option<FuncId>,
    /// `compute_currents`.
    pub compute_currents: Option<FuncId>,
    /// `advance_state`.
    pub advance_state: Option<FuncId>,
    /// `net_receive`.
    pub net_receive: Option<FuncId>,
    /// `net_receive_init`.
    pub net_receive_init: Option<FuncId>,
    /// `post_event`.
    pub post_event: Option<FuncId>,
}

/// Declares and defines every function of `m` in `module`. `prefix` makes symbol names unique
/// (several mechanisms in one object).
pub fn define_mechanism<M: Module>(
    module: &mut M,
    m: &Mechanism,
    prefix: &str,
) -> Result<EntryIds, CodegenError> {
    define_mechanism_with(module, m, prefix, CodegenOptions::default())
}

/// [`define_mechanism`] with explicit options.
pub fn define_mechanism_with<M: Module>(
    module: &mut M,
    m: &Mechanism,
    prefix: &str,
    opts: CodegenOptions,
) -> Result<EntryIds, CodegenError> {
    let ptr = module.target_config().pointer_type();
    let cc = module.target_config().default_call_conv;
    let imports = Imports::declare(module, cc)?;
    let mut fctx = FunctionBuilderContext::new();
    let mut ctx = module.make_context();

    // Residual functions first (kernels take their addresses).
    let mut residual_ids = Vec::new();
    for (k, _) in m.systems.iter().enumerate() {
        let sig = residual_sig(ptr, cc);
        let id = module.declare_function(&symbol(prefix, &format!("residual{k}")), Linkage::Local, &sig)?;
        residual_ids.push(id);
    }
    for (k, sys) in m.systems.iter().enumerate() {
        ctx.func.signature = residual_sig(ptr, cc);
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let mut e = Emitter::new(module, &mut b, m, &imports, &residual_ids, ptr, cc, opts);
            e.residual_function(sys);
            b.finalize(module.target_config());
        }
        module.define_function(residual_ids[k], &mut ctx)?;
        module.clear_context(&mut ctx);
    }

    let mut ids = EntryIds::default();
    let kernel_sig = {
        let mut s = Signature::new(cc);
        s.params.push(AbiParam::new(ptr));
        s
    };
    let bodies: [(&str, Option<&Body>, bool); 6] = [
        ("init", Some(&m.init), false),
        ("compute_currents", m.compute_currents.as_ref(), false),
        ("advance_state", m.advance_state.as_ref(), false),
        ("net_receive", m.net_receive.as_ref(), true),
        ("net_receive_init", m.net_receive_init.as_ref(), true),
        ("post_event", m.post_event.as_ref(), false),
    ];
    for (name, body, is_event) in bodies {
        let Some(body) = body else { continue };
        let sig = if is_event { event_sig(ptr, cc) } else { kernel_sig.clone() };
        let id = module.declare_function(&symbol(prefix, name), Linkage::Export, &sig)?;
        ctx.func.signature = sig;
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let mut e = Emitter::new(module, &mut b, m, &imports, &residual_ids, ptr, cc, opts);
            if is_event {
                e.event_function(body);
            } else {
                e.kernel_function(body);
            }
            b.finalize(module.target_config());
        }
        if std::env::var_os("MYELIN_DUMP_CLIF").is_some() {
            eprintln!("; {} {name}\n{}", m.meta.name, ctx.func.display());
        }
        let dump_asm = std::env::var_os("MYELIN_DUMP_ASM").is_some();
        ctx.set_disasm(dump_asm);
        module.define_function(id, &mut ctx).map_err(|e| CodegenError(format!("{name}: {e:?}")))?;
        if dump_asm {
            if let Some(vcode) = ctx.compiled_code().and_then(|c| c.vcode.clone()) {
                eprintln!("; {} {name} (machine code)\n{vcode}", m.meta.name);
            }
        }
        module.clear_context(&mut ctx);
        match name {
            "init" => ids.init = Some(id),
            "compute_currents" => ids.compute_currents = Some(id),
            "advance_state" => ids.advance_state = Some(id),
            "net_receive" => ids.net_receive = Some(id),
            "post_event" => ids.post_event = Some(id),
            _ => ids.net_receive_init = Some(id),
        }
    }
    Ok(ids)
}

fn residual_sig(ptr: types::Type, cc: CallConv) -> Signature {
    let mut s = Signature::new(cc);
    for _ in 0..5 {
        s.params.push(AbiParam::new(ptr));
    }
    s.params[1] = AbiParam::new(types::I64);
    s
}

fn event_sig(ptr: types::Type, cc: CallConv) -> Signature {
    let mut s = Signature::new(cc);
    s.params.push(AbiParam::new(ptr));
    s.params.push(AbiParam::new(types::I64));
    s.params.push(AbiParam::new(ptr));
    s.params.push(AbiParam::new(types::F64));
    s
}

/// Imported helper functions.
struct Imports {
    math: HashMap<MathFn, FuncId>,
    newton: FuncId,
    libm_exp: FuncId,
    exp_table: DataId,
}

impl Imports {
    fn declare<M: Module>(module: &mut M, cc: CallConv) -> Result<Imports, CodegenError> {
        let ptr = module.target_config().pointer_type();
        let mut math = HashMap::new();
        for f in helpers::CALLED_MATH {
            let mut s = Signature::new(cc);
            for _ in 0..f.arity() {
                s.params.push(AbiParam::new(types::F64));
            }
            s.returns.push(AbiParam::new(types::F64));
            let id = module.declare_function(helpers::symbol_of(*f), Linkage::Import, &s)?;
            math.insert(*f, id);
        }
        let mut s = Signature::new(cc);
        s.params.push(AbiParam::new(ptr)); // residual
        s.params.push(AbiParam::new(ptr)); // args
        s.params.push(AbiParam::new(types::I64)); // instance
        s.params.push(AbiParam::new(types::I64)); // n
        s.params.push(AbiParam::new(ptr)); // x
        s.params.push(AbiParam::new(ptr)); // x_old
        s.params.push(AbiParam::new(ptr)); // work
        s.params.push(AbiParam::new(types::I32)); // kind
        s.returns.push(AbiParam::new(types::I32));
        let newton = module.declare_function(helpers::NEWTON_SYMBOL, Linkage::Import, &s)?;
        let mut s = Signature::new(cc);
        s.params.push(AbiParam::new(types::F64));
        s.returns.push(AbiParam::new(types::F64));
        let libm_exp = module.declare_function(helpers::LIBM_EXP_SYMBOL, Linkage::Import, &s)?;
        let exp_table = module.declare_data(helpers::EXP_TABLE_SYMBOL, Linkage::Import, false, false)?;
        Ok(Imports { math, newton, libm_exp, exp_table })
    }
}

/// Per-function state of code emission.
struct Emitter<'e, 'b, M: Module> {
    module: &'e mut M,
    b: &'e mut FunctionBuilder<'b>,
    m: &'e Mechanism,
    imports: &'e Imports,
    residual_ids: &'e [FuncId],
    ptr: types::Type,
    cc: CallConv,
    flags: MemFlagsData,
    args: Value,
    // Base pointers loaded once per call.
    base: HashMap<&'static str, Value>,
    field_cols: HashMap<u32, Value>,
    ion_cols: HashMap<(u32, u8), Value>,
    math_refs: HashMap<MathFn, FuncRef>,
    // Per-instance state.
    instance: Value,
    node: Option<Value>,
    locals: Vec<Variable>,
    field_vars: HashMap<u32, Variable>,
    dirty: BTreeSet<u32>,
    node_vals: HashMap<&'static str, Variable>,
    weights: Option<Value>,
    flag: Option<Value>,
    /// 1 for scalar code, 2 while emitting the f64x2 form.
    lanes: u8,
    /// Nodes of the two instances of a vector iteration.
    vnodes: Option<(Value, Value)>,
    /// Address of the exponential's table (computed in the entry block).
    exp_table: Value,
    opts: CodegenOptions,
}

impl<'e, 'b, M: Module> Emitter<'e, 'b, M> {
    fn new(
        module: &'e mut M,
        b: &'e mut FunctionBuilder<'b>,
        m: &'e Mechanism,
        imports: &'e Imports,
        residual_ids: &'e [FuncId],
        ptr: types::Type,
        cc: CallConv,
        opts: CodegenOptions,
    ) -> Self {
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let args = b.block_params(entry)[0];
        let zero = b.ins().iconst(types::I64, 0);
        let table_gv = module.declare_data_in_func(imports.exp_table, b.func);
        let exp_table = b.ins().symbol_value(ptr, table_gv);
        Emitter {
            module,
            b,
            m,
            imports,
            residual_ids,
            ptr,
            cc,
            flags: MemFlagsData::trusted(),
            args,
            base: HashMap::new(),
            field_cols: HashMap::new(),
            ion_cols: HashMap::new(),
            math_refs: HashMap::new(),
            instance: zero,
            node: None,
            locals: Vec::new(),
            field_vars: HashMap::new(),
            dirty: BTreeSet::new(),
            node_vals: HashMap::new(),
            weights: None,
            flag: None,
            lanes: 1,
            vnodes: None,
            exp_table,
            opts,
        }
    }

    fn param(&self, k: usize) -> Value {
        let entry = self.b.func.layout.entry_block().expect("entry");
        self.b.func.dfg.block_params(entry)[k]
    }

    fn load_arg(&mut self, ty: types::Type, off: usize) -> Value {
        self.b.ins().load(ty, self.flags, self.args, off as i32)
    }

    fn base_ptr(&mut self, name: &'static str) -> Value {
        if let Some(v) = self.base.get(name) {
            return *v;
        }
        let off = match name {
            "v" => offset_of!(KernelArgs, v),
            "i" => offset_of!(KernelArgs, i),
            "g" => offset_of!(KernelArgs, g),
            "area" => offset_of!(KernelArgs, area),
            "diam" => offset_of!(KernelArgs, diam),
            "node" => offset_of!(KernelArgs, node),
            "fields" => offset_of!(KernelArgs, fields),
            "globals" => offset_of!(KernelArgs, globals),
            "ions" => offset_of!(KernelArgs, ions),
            "services" => offset_of!(KernelArgs, services),
            _ => unreachable!("unknown base {name}"),
        };
        let ptr = self.ptr;
        let v = self.load_arg(ptr, off);
        self.base.insert(name, v);
        v
    }

    /// Loads every base pointer, field column and ion column a set of statements needs, in the
    /// function's entry block (so that they dominate every use).
    fn preload_bases(&mut self, stmts_list: &[&[Stmt]], exprs: &[ExprId]) {
        let mut places = BTreeSet::new();
        for s in stmts_list {
            collect_places_stmts(self.m, s, &mut places);
        }
        for e in exprs {
            collect_places_expr(self.m, *e, &mut places);
        }
        // Every base pointer is loaded in the entry block so that it dominates all uses.
        for name in ["v", "i", "g", "area", "diam", "node", "fields", "globals", "ions", "services"] {
            self.base_ptr(name);
        }
        for p in &places {
            match *p {
                Place::Field(k) => {
                    let fields = self.base_ptr("fields");
                    let ptr = self.ptr;
                    let col = self.b.ins().load(ptr, self.flags, fields, (k as usize * 8) as i32);
                    self.field_cols.insert(k, col);
                }
                Place::V => {
                    self.base_ptr("v");
                }
                Place::Area => {
                    self.base_ptr("area");
                }
                Place::Diam => {
                    self.base_ptr("diam");
                }
                Place::CurrentSum => {
                    self.base_ptr("i");
                }
                Place::ConductanceSum => {
                    self.base_ptr("g");
                }
                Place::Ion(k, kind) => self.ion_col(k, ion_slot(kind)),
                Place::IonCurrentSum(k) => self.ion_col(k, 0),
                Place::IonDidvSum(k) => self.ion_col(k, 1),
                _ => {}
            }
        }
    }

    fn ion_col(&mut self, k: u32, slot: u8) {
        if self.ion_cols.contains_key(&(k, slot)) {
            return;
        }
        let ions = self.base_ptr("ions");
        let off = k as usize * std::mem::size_of::<IonColumns>()
            + match slot {
                0 => offset_of!(IonColumns, cur),
                1 => offset_of!(IonColumns, didv),
                2 => offset_of!(IonColumns, erev),
                3 => offset_of!(IonColumns, conc_in),
                _ => offset_of!(IonColumns, conc_out),
            };
        let ptr = self.ptr;
        let col = self.b.ins().load(ptr, self.flags, ions, off as i32);
        self.ion_cols.insert((k, slot), col);
    }

    fn declare_locals(&mut self, n: u32) {
        let ty = self.fty();
        self.locals = (0..n).map(|_| self.b.declare_var(ty)).collect();
    }

    fn zero_locals(&mut self) {
        let z = self.fconst(0.0);
        for l in self.locals.clone() {
            self.b.def_var(l, z);
        }
    }

    /// Sets up per-instance state: node index, cached node values and fields.
    fn enter_instance(&mut self, instance: Value, stmts_list: &[&[Stmt]], exprs: &[ExprId]) {
        self.instance = instance;
        let node_base = self.base_ptr("node");
        let off = self.b.ins().imul_imm_s(instance, 4);
        let addr = self.b.ins().iadd(node_base, off);
        let n32 = self.b.ins().load(types::I32, self.flags, addr, 0);
        let node = self.b.ins().uextend(types::I64, n32);
        self.node = Some(node);
        let mut places = BTreeSet::new();
        for s in stmts_list {
            collect_places_stmts(self.m, s, &mut places);
        }
        for e in exprs {
            collect_places_expr(self.m, *e, &mut places);
        }
        self.node_vals.clear();
        for (p, name) in [(Place::V, "v"), (Place::Area, "area"), (Place::Diam, "diam")] {
            if places.contains(&p) {
                let base = self.base_ptr(name);
                let a = self.elem_addr(base, node);
                let val = self.b.ins().load(types::F64, self.flags, a, 0);
                let var = self.b.declare_var(types::F64);
                self.b.def_var(var, val);
                self.node_vals.insert(name, var);
            }
        }
        self.field_vars.clear();
        self.dirty.clear();
        // Fields of arrays indexed at run time stay in memory (a cached copy would go stale).
        let mut uncached = BTreeSet::new();
        for p in &places {
            if let Place::FieldAt(b, n, _) = p {
                uncached.extend(*b..b + n);
            }
        }
        for p in places {
            if let Place::Field(k) = p {
                if !uncached.contains(&k) {
                    let var = self.b.declare_var(types::F64);
                    self.field_vars.insert(k, var);
                }
            }
        }
        let live = fields_live_on_entry(self.m, stmts_list, exprs);
        self.load_fields(Some(&live));
    }

    fn elem_addr(&mut self, base: Value, index: Value) -> Value {
        let off = self.b.ins().imul_imm_s(index, 8);
        self.b.ins().iadd(base, off)
    }

    /// Reads the cached fields from memory (all of them, or those in `only`).
    fn load_fields(&mut self, only: Option<&BTreeSet<u32>>) {
        let fields: Vec<(u32, Variable)> = self.field_vars.iter().map(|(k, v)| (*k, *v)).collect();
        for (k, var) in fields {
            if only.is_some_and(|o| !o.contains(&k)) {
                continue;
            }
            let col = self.field_cols[&k];
            let a = self.elem_addr(col, self.instance);
            let val = self.b.ins().load(types::F64, self.flags, a, 0);
            self.b.def_var(var, val);
        }
    }

    fn flush_fields(&mut self) {
        let dirty: Vec<u32> = self.dirty.iter().copied().collect();
        for k in dirty {
            let var = self.field_vars[&k];
            let val = self.b.use_var(var);
            let col = self.field_cols[&k];
            let a = self.elem_addr(col, self.instance);
            self.b.ins().store(self.flags, val, a, 0);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Functions

    fn kernel_function(&mut self, body: &Body) {
        self.preload_bases(&[&body.stmts, &body.prologue], &[]);
        for s in &body.prologue {
            if let Stmt::BuildTable(k) = s {
                self.preload_table(*k as usize);
            }
        }
        let count = self.load_arg(types::I64, offset_of!(KernelArgs, count));
        // Prologue (table builds) with instance 0, only when there are instances.
        if !body.prologue.is_empty() {
            let has = self.b.ins().icmp_imm_s(IntCC::NotEqual, count, 0);
            let pro = self.b.create_block();
            let after = self.b.create_block();
            self.b.ins().brif(has, pro, &[], after, &[]);
            self.b.switch_to_block(pro);
            self.b.seal_block(pro);
            let zero = self.b.ins().iconst(types::I64, 0);
            for s in &body.prologue {
                if let Stmt::BuildTable(k) = s {
                    self.build_table(*k as usize, zero);
                }
            }
            self.b.ins().jump(after, &[]);
            self.b.switch_to_block(after);
            self.b.seal_block(after);
        }
        let zero = self.b.ins().iconst(types::I64, 0);
        // Two instances per iteration while at least two remain, then the scalar loop.
        let start = if self.opts.vectorize && vector::vectorizable(self.m, body) {
            let vheader = self.b.create_block();
            let vbody = self.b.create_block();
            let vexit = self.b.create_block();
            self.b.append_block_param(vheader, types::I64);
            self.b.append_block_param(vexit, types::I64);
            self.b.ins().jump(vheader, &[zero.into()]);
            self.b.switch_to_block(vheader);
            let i = self.b.block_params(vheader)[0];
            let i2 = self.b.ins().iadd_imm_s(i, 2);
            let more = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, i2, count);
            self.b.ins().brif(more, vbody, &[], vexit, &[i.into()]);
            self.b.switch_to_block(vbody);
            self.b.seal_block(vbody);
            self.lanes = 2;
            self.declare_locals(body.n_locals);
            self.zero_locals();
            self.enter_pair(i, &body.stmts);
            self.stmts(&body.stmts);
            self.flush_pair();
            self.lanes = 1;
            self.vnodes = None;
            self.b.ins().jump(vheader, &[i2.into()]);
            self.b.seal_block(vheader);
            self.b.switch_to_block(vexit);
            self.b.seal_block(vexit);
            self.b.block_params(vexit)[0]
        } else {
            zero
        };
        self.declare_locals(body.n_locals);
        // for (i = start; i < count; i++)
        let header = self.b.create_block();
        let body_blk = self.b.create_block();
        let exit = self.b.create_block();
        self.b.append_block_param(header, types::I64);
        self.b.ins().jump(header, &[start.into()]);
        self.b.switch_to_block(header);
        let i = self.b.block_params(header)[0];
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, i, count);
        self.b.ins().brif(more, body_blk, &[], exit, &[]);
        self.b.switch_to_block(body_blk);
        self.b.seal_block(body_blk);
        self.zero_locals();
        self.enter_instance(i, &[&body.stmts], &[]);
        self.stmts(&body.stmts);
        self.flush_fields();
        let next = self.b.ins().iadd_imm_s(i, 1);
        self.b.ins().jump(header, &[next.into()]);
        self.b.seal_block(header);
        self.b.switch_to_block(exit);
        self.b.seal_block(exit);
        self.b.ins().return_(&[]);
    }

    fn event_function(&mut self, body: &Body) {
        self.preload_bases(&[&body.stmts], &[]);
        let instance = self.param(1);
        self.weights = Some(self.param(2));
        self.flag = Some(self.param(3));
        self.declare_locals(body.n_locals);
        self.zero_locals();
        self.enter_instance(instance, &[&body.stmts], &[]);
        self.stmts(&body.stmts);
        self.flush_fields();
        self.b.ins().return_(&[]);
    }

    fn residual_function(&mut self, sys: &crate::mir::ImplicitSystem) {
        self.preload_bases(&[&sys.body], &sys.residuals);
        let instance = self.param(1);
        let x = self.param(2);
        let xold = self.param(3);
        let f = self.param(4);
        self.declare_locals(sys.n_locals);
        self.zero_locals();
        self.enter_instance(instance, &[&sys.body], &sys.residuals);
        for (i, (xl, ol)) in sys.x_locals.iter().zip(&sys.old_locals).enumerate() {
            let v = self.b.ins().load(types::F64, self.flags, x, (i * 8) as i32);
            self.b.def_var(self.locals[*xl as usize], v);
            let o = self.b.ins().load(types::F64, self.flags, xold, (i * 8) as i32);
            self.b.def_var(self.locals[*ol as usize], o);
        }
        self.stmts(&sys.body);
        for (i, r) in sys.residuals.iter().enumerate() {
            let v = self.expr(*r);
            self.b.ins().store(self.flags, v, f, (i * 8) as i32);
        }
        self.flush_fields();
        self.b.ins().return_(&[]);
    }

    fn preload_table(&mut self, k: usize) {
        let t = &self.m.tables[k];
        let mut exprs: Vec<ExprId> = vec![t.lo, t.hi];
        exprs.extend(t.columns.iter().map(|c| c.0));
        self.preload_bases(&[&t.body], &exprs);
    }

    /// The TABLE build loop (nocmodl's `_check_<name>`), run with instance `inst`.
    fn build_table(&mut self, k: usize, inst: Value) {
        let t = self.m.tables[k].clone();
        let saved_locals = std::mem::take(&mut self.locals);
        self.declare_locals(t.n_locals);
        self.zero_locals();
        let mut exprs: Vec<ExprId> = vec![t.lo, t.hi];
        exprs.extend(t.columns.iter().map(|c| c.0));
        self.enter_instance(inst, &[&t.body], &exprs);
        let tmin = self.expr(t.lo);
        let tmax = self.expr(t.hi);
        let span = self.b.ins().fsub(tmax, tmin);
        let nf = self.b.ins().f64const(t.n as f64);
        let dx = self.b.ins().fdiv(span, nf);
        let one = self.b.ins().f64const(1.0);
        let mfac = self.b.ins().fdiv(one, dx);
        let globals = self.base_ptr("globals");
        self.b.ins().store(self.flags, tmin, globals, (t.tmin_slot * 8) as i32);
        self.b.ins().store(self.flags, mfac, globals, (t.mfac_slot * 8) as i32);
        let header = self.b.create_block();
        let body = self.b.create_block();
        let exit = self.b.create_block();
        self.b.append_block_param(header, types::I64);
        self.b.append_block_param(header, types::F64);
        let zero = self.b.ins().iconst(types::I64, 0);
        self.b.ins().jump(header, &[zero.into(), tmin.into()]);
        self.b.switch_to_block(header);
        let i = self.b.block_params(header)[0];
        let x = self.b.block_params(header)[1];
        let more = self.b.ins().icmp_imm_s(IntCC::SignedLessThanOrEqual, i, t.n as i64);
        self.b.ins().brif(more, body, &[], exit, &[]);
        self.b.switch_to_block(body);
        self.b.seal_block(body);
        self.zero_locals();
        self.b.def_var(self.locals[t.x_local as usize], x);
        self.stmts(&t.body);
        for (e, base) in &t.columns {
            let v = self.expr(*e);
            let a = self.elem_addr(globals, i);
            self.b.ins().store(self.flags, v, a, (*base * 8) as i32);
        }
        let ni = self.b.ins().iadd_imm_s(i, 1);
        let nx = self.b.ins().fadd(x, dx);
        self.b.ins().jump(header, &[ni.into(), nx.into()]);
        self.b.seal_block(header);
        self.b.switch_to_block(exit);
        self.b.seal_block(exit);
        self.flush_fields();
        self.locals = saved_locals;
    }

    // ------------------------------------------------------------------------------------------
    // Statements

    fn stmts(&mut self, v: &[Stmt]) {
        for s in v {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Assign(p, e) => {
                let v = self.expr(*e);
                self.write(*p, v);
            }
            Stmt::If(c, t, e) if self.lanes == 2 => self.vif(*c, t, e),
            Stmt::If(c, t, e) => {
                let cv = self.expr(*c);
                let z = self.b.ins().f64const(0.0);
                let cond = self.b.ins().fcmp(FloatCC::NotEqual, cv, z);
                let then_b = self.b.create_block();
                let else_b = self.b.create_block();
                let join = self.b.create_block();
                self.b.ins().brif(cond, then_b, &[], else_b, &[]);
                self.b.switch_to_block(then_b);
                self.b.seal_block(then_b);
                self.stmts(t);
                self.b.ins().jump(join, &[]);
                self.b.switch_to_block(else_b);
                self.b.seal_block(else_b);
                self.stmts(e);
                self.b.ins().jump(join, &[]);
                self.b.switch_to_block(join);
                self.b.seal_block(join);
            }
            Stmt::While(c, body) => {
                let header = self.b.create_block();
                let body_b = self.b.create_block();
                let exit = self.b.create_block();
                self.b.ins().jump(header, &[]);
                self.b.switch_to_block(header);
                let cv = self.expr(*c);
                let z = self.b.ins().f64const(0.0);
                let cond = self.b.ins().fcmp(FloatCC::NotEqual, cv, z);
                self.b.ins().brif(cond, body_b, &[], exit, &[]);
                self.b.switch_to_block(body_b);
                self.b.seal_block(body_b);
                self.stmts(body);
                self.b.ins().jump(header, &[]);
                self.b.seal_block(header);
                self.b.switch_to_block(exit);
                self.b.seal_block(exit);
            }
            Stmt::Implicit(k) => self.implicit(*k as usize),
            Stmt::BuildTable(_) => {}
            Stmt::NetSend(d, f) => {
                let d = self.expr(*d);
                let f = self.expr(*f);
                let w = match self.weights {
                    Some(w) => w,
                    None => self.b.ins().iconst(self.ptr, 0),
                };
                let (ctx, mech, fnp) = self.service(offset_of!(Services, net_send));
                let mut sig = Signature::new(self.cc);
                for t in [self.ptr, types::I32, types::I64, self.ptr, types::F64, types::F64] {
                    sig.params.push(AbiParam::new(t));
                }
                let sref = self.b.import_signature(sig);
                let inst = self.instance;
                self.b.ins().call_indirect(sref, fnp, &[ctx, mech, inst, w, d, f]);
            }
            Stmt::Uniform(p) => {
                let (ctx, mech, fnp) = self.service(offset_of!(Services, random_uniform));
                let mut sig = Signature::new(self.cc);
                for t in [self.ptr, types::I32, types::I64] {
                    sig.params.push(AbiParam::new(t));
                }
                sig.returns.push(AbiParam::new(types::F64));
                let sref = self.b.import_signature(sig);
                let inst = self.instance;
                let call = self.b.ins().call_indirect(sref, fnp, &[ctx, mech, inst]);
                let u = self.b.inst_results(call)[0];
                self.write(*p, u);
            }
            Stmt::NetMove(t) | Stmt::NetEvent(t) => {
                let tv = self.expr(*t);
                let off = if matches!(s, Stmt::NetMove(_)) {
                    offset_of!(Services, net_move)
                } else {
                    offset_of!(Services, net_event)
                };
                let (ctx, mech, fnp) = self.service(off);
                let mut sig = Signature::new(self.cc);
                for t in [self.ptr, types::I32, types::I64, types::F64] {
                    sig.params.push(AbiParam::new(t));
                }
                let sref = self.b.import_signature(sig);
                let inst = self.instance;
                self.b.ins().call_indirect(sref, fnp, &[ctx, mech, inst, tv]);
            }
        }
    }

    fn service(&mut self, off: usize) -> (Value, Value, Value) {
        let sv = self.base_ptr("services");
        let ctx = self.b.ins().load(self.ptr, self.flags, sv, offset_of!(Services, ctx) as i32);
        let fnp = self.b.ins().load(self.ptr, self.flags, sv, off as i32);
        let mech = self.load_arg(types::I32, offset_of!(KernelArgs, mech_id));
        (ctx, mech, fnp)
    }

    fn implicit(&mut self, k: usize) {
        let sys = &self.m.systems[k];
        let n = sys.unknowns.len();
        let unknowns = sys.unknowns.clone();
        let kind = if sys.origin.starts_with("derivimplicit")
            || sys.origin.starts_with("STEADYSTATE derivimplicit")
        {
            0
        } else {
            1
        };
        let slot = |b: &mut FunctionBuilder, len: usize| {
            b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, (len * 8) as u32, 3))
        };
        let xs = slot(self.b, n);
        let xo = slot(self.b, n);
        let ws = slot(self.b, newton::work_len(n));
        for (i, p) in unknowns.iter().enumerate() {
            let v = self.read(*p);
            self.b.ins().stack_store(self.ptr, v, xs, (i * 8) as i32);
            self.b.ins().stack_store(self.ptr, v, xo, (i * 8) as i32);
        }
        self.flush_fields();
        let xa = self.b.ins().stack_addr(self.ptr, xs, 0);
        let xoa = self.b.ins().stack_addr(self.ptr, xo, 0);
        let wa = self.b.ins().stack_addr(self.ptr, ws, 0);
        let rref = self.module.declare_func_in_func(self.residual_ids[k], self.b.func);
        let raddr = self.b.ins().func_addr(self.ptr, rref);
        let nref = self.module.declare_func_in_func(self.imports.newton, self.b.func);
        let nval = self.b.ins().iconst(types::I64, n as i64);
        let kval = self.b.ins().iconst(types::I32, kind);
        let (args, inst) = (self.args, self.instance);
        self.b.ins().call(nref, &[raddr, args, inst, nval, xa, xoa, wa, kval]);
        self.load_fields(None);
        for (i, p) in unknowns.iter().enumerate() {
            let v = self.b.ins().stack_load(self.ptr, types::F64, xs, (i * 8) as i32);
            self.write(*p, v);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Places

    fn addr_of(&mut self, p: Place) -> Value {
        let node = self.node.expect("node");
        match p {
            Place::Field(k) => {
                let col = self.field_cols[&k];
                self.elem_addr(col, self.instance)
            }
            Place::Global(k) => {
                let g = self.base_ptr("globals");
                self.b.ins().iadd_imm_s(g, k as i64 * 8)
            }
            Place::V | Place::Area | Place::Diam | Place::CurrentSum | Place::ConductanceSum => {
                let name = match p {
                    Place::V => "v",
                    Place::Area => "area",
                    Place::Diam => "diam",
                    Place::CurrentSum => "i",
                    _ => "g",
                };
                let base = self.base_ptr(name);
                self.elem_addr(base, node)
            }
            Place::Ion(k, kind) => {
                let col = self.ion_cols[&(k, ion_slot(kind))];
                self.elem_addr(col, node)
            }
            Place::IonCurrentSum(k) => {
                let col = self.ion_cols[&(k, 0)];
                self.elem_addr(col, node)
            }
            Place::IonDidvSum(k) => {
                let col = self.ion_cols[&(k, 1)];
                self.elem_addr(col, node)
            }
            Place::Weight(k) => {
                let w = self.weights.expect("weights in NET_RECEIVE");
                self.b.ins().iadd_imm_s(w, k as i64 * 8)
            }
            Place::FieldAt(b, n, l) => {
                let k = self.element_index(l, n);
                let fields = self.base_ptr("fields");
                let slot = self.b.ins().iadd_imm_s(k, b as i64);
                let slot_addr = self.elem_addr(fields, slot);
                let col = self.b.ins().load(self.ptr, self.flags, slot_addr, 0);
                self.elem_addr(col, self.instance)
            }
            Place::GlobalAt(b, n, l) => {
                let k = self.element_index(l, n);
                let g = self.base_ptr("globals");
                let slot = self.b.ins().iadd_imm_s(k, b as i64);
                self.elem_addr(g, slot)
            }
            _ => unreachable!("no address for {p:?}"),
        }
    }

    /// `mir::element_index` in generated code: trunc, clamp into `0..len`, as an i64.
    fn element_index(&mut self, local: u32, len: u32) -> Value {
        let x = self.b.use_var(self.locals[local as usize]);
        let k = self.b.ins().fcvt_to_sint_sat(types::I64, x);
        let zero = self.b.ins().iconst(types::I64, 0);
        let last = self.b.ins().iconst(types::I64, len.max(1) as i64 - 1);
        let k = self.b.ins().smax(k, zero);
        self.b.ins().smin(k, last)
    }

    fn read(&mut self, p: Place) -> Value {
        if self.lanes == 2 {
            return self.vread(p);
        }
        match p {
            Place::Local(k) => self.b.use_var(self.locals[k as usize]),
            Place::Field(k) if self.field_vars.contains_key(&k) => self.b.use_var(self.field_vars[&k]),
            Place::V | Place::Area | Place::Diam if self.node_vals.contains_key(node_name(p)) => {
                self.b.use_var(self.node_vals[node_name(p)])
            }
            Place::T => self.load_arg(types::F64, offset_of!(KernelArgs, t)),
            Place::Dt => self.load_arg(types::F64, offset_of!(KernelArgs, dt)),
            Place::Celsius => self.load_arg(types::F64, offset_of!(KernelArgs, celsius)),
            Place::SecondOrder => {
                let s = self.load_arg(types::I32, offset_of!(KernelArgs, secondorder));
                self.b.ins().fcvt_from_uint(types::F64, s)
            }
            Place::Flag => self.flag.expect("flag in NET_RECEIVE"),
            _ => {
                let a = self.addr_of(p);
                self.b.ins().load(types::F64, self.flags, a, 0)
            }
        }
    }

    fn write(&mut self, p: Place, v: Value) {
        if self.lanes == 2 {
            return self.vwrite(p, v);
        }
        match p {
            Place::Local(k) => self.b.def_var(self.locals[k as usize], v),
            Place::Field(k) if self.field_vars.contains_key(&k) => {
                self.b.def_var(self.field_vars[&k], v);
                self.dirty.insert(k);
            }
            Place::V => {
                // NET_RECEIVE may set the membrane potential (integrate-and-fire resets).
                if let Some(var) = self.node_vals.get("v").copied() {
                    self.b.def_var(var, v);
                }
                let a = self.addr_of(p);
                self.b.ins().store(self.flags, v, a, 0);
            }
            Place::T
            | Place::Dt
            | Place::Celsius
            | Place::SecondOrder
            | Place::Flag
            | Place::Area
            | Place::Diam => {}
            _ => {
                let a = self.addr_of(p);
                self.b.ins().store(self.flags, v, a, 0);
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Expressions

    fn expr(&mut self, e: ExprId) -> Value {
        match self.m.arena.get(e).clone() {
            Node::Const(c) => self.fconst(c),
            Node::Read(p) => self.read(p),
            Node::Unary(Un::Neg, x) => {
                let v = self.expr(x);
                self.b.ins().fneg(v)
            }
            Node::Unary(Un::Not, x) => {
                let v = self.expr(x);
                let z = self.fconst(0.0);
                let c = self.b.ins().fcmp(FloatCC::Equal, v, z);
                self.truth(c)
            }
            Node::Binary(op @ (Bin::Mul | Bin::Div), x, y) => {
                // (−a)·b, a·(−b), (−a)/b and a/(−b) are −(a·b) and −(a/b) bit for bit (rounding
                // is symmetric): taking the sign out lets `x/6` and `−x/6`, frequent in pairs of
                // rate expressions, share one division.
                let (x, nx) = self.strip_neg(x);
                let (y, ny) = self.strip_neg(y);
                let a = self.expr(x);
                let b = self.expr(y);
                let r = self.binary(op, a, b);
                if nx != ny {
                    self.b.ins().fneg(r)
                } else {
                    r
                }
            }
            Node::Binary(op, x, y) => {
                let a = self.expr(x);
                let b = self.expr(y);
                self.binary(op, a, b)
            }
            Node::Call(f, args) => {
                let vals: Vec<Value> = args.iter().map(|a| self.expr(*a)).collect();
                self.math(f, &vals)
            }
            Node::Select(c, x, y) => {
                let cv = self.expr(c);
                let a = self.expr(x);
                let b = self.expr(y);
                self.choose(cv, a, b)
            }
            Node::TableLookup { base, n, tmin, mfac, x } => {
                let xv = self.expr(x);
                self.per_lane(&[xv], &mut |s: &mut Self, a: &[Value]| {
                    s.table_lookup(base, n, tmin, mfac, a[0])
                })
            }
        }
    }

    /// An expression without its leading negation, and whether there was one.
    fn strip_neg(&self, e: ExprId) -> (ExprId, bool) {
        match self.m.arena.get(e) {
            Node::Unary(Un::Neg, x) => (*x, true),
            _ => (e, false),
        }
    }

    fn binary(&mut self, op: Bin, a: Value, b: Value) -> Value {
        let cmp = |s: &mut Self, cc: FloatCC| {
            let c = s.b.ins().fcmp(cc, a, b);
            s.truth(c)
        };
        match op {
            Bin::Add => self.b.ins().fadd(a, b),
            Bin::Sub => self.b.ins().fsub(a, b),
            Bin::Mul => self.b.ins().fmul(a, b),
            Bin::Div => self.b.ins().fdiv(a, b),
            Bin::Pow => self.math(MathFn::Pow, &[a, b]),
            Bin::Lt => cmp(self, FloatCC::LessThan),
            Bin::Le => cmp(self, FloatCC::LessThanOrEqual),
            Bin::Gt => cmp(self, FloatCC::GreaterThan),
            Bin::Ge => cmp(self, FloatCC::GreaterThanOrEqual),
            Bin::Eq => cmp(self, FloatCC::Equal),
            Bin::Ne => cmp(self, FloatCC::NotEqual),
            Bin::And | Bin::Or => {
                let z = self.fconst(0.0);
                let ca = self.b.ins().fcmp(FloatCC::NotEqual, a, z);
                let cb = self.b.ins().fcmp(FloatCC::NotEqual, b, z);
                let c = if op == Bin::And { self.b.ins().band(ca, cb) } else { self.b.ins().bor(ca, cb) };
                self.truth(c)
            }
        }
    }

    fn math(&mut self, f: MathFn, args: &[Value]) -> Value {
        match f {
            MathFn::Exp if self.opts.libm_exp => {
                return self.per_lane(args, &mut |s: &mut Self, a: &[Value]| s.libm_exp(a[0]))
            }
            MathFn::Exp => return self.inline_exp(args[0]),
            MathFn::Sqrt => return self.b.ins().sqrt(args[0]),
            MathFn::Fabs => return self.b.ins().fabs(args[0]),
            MathFn::Floor => return self.b.ins().floor(args[0]),
            MathFn::Ceil => return self.b.ins().ceil(args[0]),
            MathFn::Trunc => return self.b.ins().trunc(args[0]),
            _ => {}
        }
        self.call_math(f, args)
    }

    /// Calls the helper of a math function (per lane in vector mode).
    fn call_math(&mut self, f: MathFn, args: &[Value]) -> Value {
        let fref = match self.math_refs.get(&f) {
            Some(r) => *r,
            None => {
                let r = self.module.declare_func_in_func(self.imports.math[&f], self.b.func);
                self.math_refs.insert(f, r);
                r
            }
        };
        self.per_lane(args, &mut |s: &mut Self, a: &[Value]| {
            let call = s.b.ins().call(fref, a);
            s.b.inst_results(call)[0]
        })
    }

    /// NEURON's `hoc_Exp` through the C library's exp (the `libm_exp` option): the clamp is
    /// inline and the call goes straight to libm. Scalar only (vectors call it per lane).
    fn libm_exp(&mut self, x: Value) -> Value {
        let lo = self.b.ins().f64const(-700.0);
        let hi = self.b.ins().f64const(700.0);
        let too_big = self.b.ins().fcmp(FloatCC::GreaterThan, x, hi);
        let xc = self.b.ins().select(too_big, hi, x);
        let fref = match self.math_refs.get(&MathFn::Exp) {
            Some(r) => *r,
            None => {
                let r = self.module.declare_func_in_func(self.imports.libm_exp, self.b.func);
                self.math_refs.insert(MathFn::Exp, r);
                r
            }
        };
        let call = self.b.ins().call(fref, &[xc]);
        let r = self.b.inst_results(call)[0];
        let too_small = self.b.ins().fcmp(FloatCC::LessThan, x, lo);
        let zero = self.b.ins().f64const(0.0);
        self.b.ins().select(too_small, zero, r)
    }

    /// nocmodl's table interpolation, without branches: the index is clamped so that the
    /// interpolation always reads inside the table, and the out-of-range and NaN cases are chosen
    /// by selects afterwards; inside the range it computes exactly nocmodl's
    /// `t[i] + theta*(t[i+1] - t[i])` with `i = (int)xi`, `theta = xi - i`.
    fn table_lookup(&mut self, base: u32, n: u32, tmin: u32, mfac: u32, x: Value) -> Value {
        let g = self.base_ptr("globals");
        let tmin_v = self.b.ins().load(types::F64, self.flags, g, (tmin * 8) as i32);
        let mfac_v = self.b.ins().load(types::F64, self.flags, g, (mfac * 8) as i32);
        let d = self.b.ins().fsub(x, tmin_v);
        let xi = self.b.ins().fmul(mfac_v, d);
        let i = self.b.ins().fcvt_to_sint_sat(types::I64, xi);
        let zero_i = self.b.ins().iconst(types::I64, 0);
        let last_i = self.b.ins().iconst(types::I64, n as i64 - 1);
        let i = self.b.ins().smax(i, zero_i);
        let i = self.b.ins().smin(i, last_i);
        let fi = self.b.ins().fcvt_from_sint(types::F64, i);
        let theta = self.b.ins().fsub(xi, fi);
        let a = self.elem_addr(g, i);
        let t0 = self.b.ins().load(types::F64, self.flags, a, (base * 8) as i32);
        let t1 = self.b.ins().load(types::F64, self.flags, a, ((base + 1) * 8) as i32);
        let diff = self.b.ins().fsub(t1, t0);
        let prod = self.b.ins().fmul(theta, diff);
        let inside = self.b.ins().fadd(t0, prod);
        let first = self.b.ins().load(types::F64, self.flags, g, (base * 8) as i32);
        let last = self.b.ins().load(types::F64, self.flags, g, ((base + n) * 8) as i32);
        let nf = self.b.ins().f64const(n as f64);
        let ge_n = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, xi, nf);
        let r = self.b.ins().select(ge_n, last, inside);
        let z = self.b.ins().f64const(0.0);
        let le0 = self.b.ins().fcmp(FloatCC::LessThanOrEqual, xi, z);
        let r = self.b.ins().select(le0, first, r);
        let is_nan = self.b.ins().fcmp(FloatCC::Unordered, xi, xi);
        self.b.ins().select(is_nan, xi, r)
    }
}

fn node_name(p: Place) -> &'static str {
    match p {
        Place::V => "v",
        Place::Area => "area",
        _ => "diam",
    }
}

fn ion_slot(kind: IonVarKind) -> u8 {
    match kind {
        IonVarKind::Current => 0,
        IonVarKind::Erev => 2,
        IonVarKind::ConcIn => 3,
        IonVarKind::ConcOut => 4,
    }
}

/// Collects every place read or written by statements (not descending into implicit systems,
/// which are separate functions, but including the unknowns they read and write).
/// Fields whose value on entry to an instance's statements may be observed: read before the
/// statements write them, or written on some paths only (the other paths keep, and the final
/// store writes back, the value from memory). Only these are loaded when an instance starts;
/// the rest (typically rate variables a procedure recomputes each step) are pure outputs.
fn fields_live_on_entry(m: &Mechanism, stmts_list: &[&[Stmt]], exprs: &[ExprId]) -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    let mut written = BTreeSet::new();
    for s in stmts_list {
        live_fields_stmts(m, s, &mut written, &mut out);
    }
    for e in exprs {
        live_fields_expr(m, *e, &written, &mut out);
    }
    out
}

fn live_fields_stmts(m: &Mechanism, v: &[Stmt], written: &mut BTreeSet<u32>, out: &mut BTreeSet<u32>) {
    for s in v {
        match s {
            Stmt::Assign(p, e) => {
                live_fields_expr(m, *e, written, out);
                if let Place::Field(k) = p {
                    written.insert(*k);
                }
            }
            Stmt::Uniform(p) => {
                if let Place::Field(k) = p {
                    written.insert(*k);
                }
            }
            Stmt::If(c, a, b) => {
                live_fields_expr(m, *c, written, out);
                let mut wa = written.clone();
                live_fields_stmts(m, a, &mut wa, out);
                let mut wb = written.clone();
                live_fields_stmts(m, b, &mut wb, out);
                let both: BTreeSet<u32> = wa.intersection(&wb).copied().collect();
                // Written on one path only: the other path keeps the old value.
                out.extend(wa.symmetric_difference(&wb).copied().filter(|k| !written.contains(k)));
                *written = both;
            }
            Stmt::While(c, a) => {
                live_fields_expr(m, *c, written, out);
                let mut wa = written.clone();
                live_fields_stmts(m, a, &mut wa, out);
                // The body may not run at all.
                out.extend(wa.difference(written).copied());
            }
            Stmt::Implicit(k) => {
                let sys = &m.systems[*k as usize];
                for p in &sys.unknowns {
                    if let Place::Field(f) = p {
                        if !written.contains(f) {
                            out.insert(*f);
                        }
                    }
                }
                let mut places = BTreeSet::new();
                collect_places_stmts(m, &sys.body, &mut places);
                for p in places {
                    if let Place::Field(f) = p {
                        if !written.contains(&f) {
                            out.insert(f);
                        }
                    }
                }
            }
            Stmt::BuildTable(_) => {}
            Stmt::NetSend(a, b) => {
                live_fields_expr(m, *a, written, out);
                live_fields_expr(m, *b, written, out);
            }
            Stmt::NetMove(a) | Stmt::NetEvent(a) => live_fields_expr(m, *a, written, out),
        }
    }
}

fn live_fields_expr(m: &Mechanism, e: ExprId, written: &BTreeSet<u32>, out: &mut BTreeSet<u32>) {
    let mut places = BTreeSet::new();
    collect_places_expr(m, e, &mut places);
    for p in places {
        if let Place::Field(k) = p {
            if !written.contains(&k) {
                out.insert(k);
            }
        }
    }
}

fn collect_places_stmts(m: &Mechanism, v: &[Stmt], out: &mut BTreeSet<Place>) {
    for s in v {
        match s {
            Stmt::Assign(p, e) => {
                out.insert(*p);
                collect_places_expr(m, *e, out);
            }
            Stmt::If(c, a, b) => {
                collect_places_expr(m, *c, out);
                collect_places_stmts(m, a, out);
                collect_places_stmts(m, b, out);
            }
            Stmt::While(c, a) => {
                collect_places_expr(m, *c, out);
                collect_places_stmts(m, a, out);
            }
            Stmt::Implicit(k) => out.extend(m.systems[*k as usize].unknowns.iter().copied()),
            Stmt::BuildTable(_) => {}
            Stmt::NetSend(a, b) => {
                collect_places_expr(m, *a, out);
                collect_places_expr(m, *b, out);
            }
            Stmt::NetMove(a) | Stmt::NetEvent(a) => collect_places_expr(m, *a, out),
            Stmt::Uniform(p) => {
                out.insert(*p);
            }
        }
    }
}

fn collect_places_expr(m: &Mechanism, e: ExprId, out: &mut BTreeSet<Place>) {
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        match m.arena.get(x) {
            Node::Read(p) => {
                out.insert(*p);
            }
            Node::Unary(_, a) => stack.push(*a),
            Node::Binary(_, a, b) => stack.extend([*a, *b]),
            Node::Call(_, args) => stack.extend(args.iter().copied()),
            Node::Select(a, b, c) => stack.extend([*a, *b, *c]),
            Node::TableLookup { x, .. } => stack.push(*x),
            Node::Const(_) => {}
        }
    }
}

/// Block of the current insertion point (helper for tests of control flow).
#[allow(dead_code)]
fn current_block(b: &FunctionBuilder) -> Option<Block> {
    b.current_block()
}
