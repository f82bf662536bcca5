//! `[variants]`: the matrix entries expand into their cross products, checked for
//! unknown names, compression on directories, duplicates and the reference.

use std::collections::HashSet;

use toml::Spanned;

use super::context::Ctx;
use super::wire;
use super::{Bytecode, Compression, Layout, ScenarioError, Variant};

/// The declared variants, in file order, and the reference id.
pub(super) fn variants(
    ctx: &Ctx,
    w: &Spanned<wire::Variants>,
) -> Result<(Vec<Variant>, Variant), ScenarioError> {
    let v = w.get_ref();
    if v.matrix.is_empty() {
        return Err(ctx.err(
            w.span(),
            "variants.matrix",
            "declare at least one [[variants.matrix]] entry",
        ));
    }
    let mut out: Vec<Variant> = Vec::new();
    let mut seen = HashSet::new();
    for (i, entry) in v.matrix.iter().enumerate() {
        let m = entry.get_ref();
        let field = |f: &str| format!("variants.matrix[{i}].{f}");
        let mut layouts = Vec::new();
        for name in &m.layout.get_ref().0 {
            layouts.push(match name.as_str() {
                "dir" => Layout::Dir,
                "zip" => Layout::Zip,
                "memory" => Layout::Memory,
                other => {
                    return Err(ctx.err(
                        m.layout.span(),
                        &field("layout"),
                        format!("unknown layout `{other}`; expected `dir`, `zip` or `memory`"),
                    ));
                }
            });
        }
        if layouts.contains(&Layout::Memory) {
            // The floor has one form: compiled code in memory.
            let extra = [
                (layouts.len() > 1, "layout", m.layout.span()),
                (
                    m.compression.is_some(),
                    "compression",
                    m.compression.as_ref().map_or(0..0, Spanned::span),
                ),
                (
                    m.bytecode.is_some(),
                    "bytecode",
                    m.bytecode.as_ref().map_or(0..0, Spanned::span),
                ),
            ];
            if let Some((_, key, span)) = extra.into_iter().find(|e| e.0) {
                return Err(ctx.err(
                    span,
                    &field(key),
                    "layout `memory` (compiled code served from memory, the floor) stands \
                     alone in its entry, without compression or bytecode",
                ));
            }
            if !seen.insert(Variant::MEMORY.id()) {
                return Err(ctx.err(
                    entry.span(),
                    &format!("variants.matrix[{i}]"),
                    "variant `memory` is declared twice",
                ));
            }
            out.push(Variant::MEMORY);
            continue;
        }
        let Some(bytecode_list) = &m.bytecode else {
            return Err(ctx.err(
                entry.span(),
                &field("bytecode"),
                "missing: list the bytecode modes, for example [\"none\", \"pyc\"]",
            ));
        };
        let mut bytecodes = Vec::new();
        for name in &bytecode_list.get_ref().0 {
            bytecodes.push(
                Bytecode::parse(name)
                    .map_err(|e| ctx.err(bytecode_list.span(), &field("bytecode"), e))?,
            );
        }
        let mut compressions = Vec::new();
        match &m.compression {
            Some(c) => {
                if !layouts.contains(&Layout::Zip) {
                    return Err(ctx.err(
                        c.span(),
                        &field("compression"),
                        "compression applies only to layout `zip`",
                    ));
                }
                for name in &c.get_ref().0 {
                    compressions.push(
                        Compression::parse(name)
                            .map_err(|e| ctx.err(c.span(), &field("compression"), e))?,
                    );
                }
            }
            None if layouts.contains(&Layout::Zip) => {
                return Err(ctx.err(
                    entry.span(),
                    &field("compression"),
                    "layout `zip` needs a compression list, for example [\"stored\", \"deflate6\"]",
                ));
            }
            None => {}
        }
        if layouts.contains(&Layout::Dir) && bytecodes.contains(&Bytecode::Pycache) {
            return Err(ctx.err(
                bytecode_list.span(),
                &field("bytecode"),
                "`pycache` is a zip packaging mistake; directories keep bytecode in \
                 __pycache__ anyway (use `pyc`)",
            ));
        }
        for layout in &layouts {
            let comps: Vec<Option<Compression>> = match layout {
                Layout::Dir => vec![None],
                Layout::Zip => compressions.iter().copied().map(Some).collect(),
                Layout::Memory => unreachable!("handled above"),
            };
            for compression in comps {
                for &bytecode in &bytecodes {
                    let variant = Variant {
                        layout: *layout,
                        compression,
                        bytecode,
                    };
                    if !seen.insert(variant.id()) {
                        return Err(ctx.err(
                            entry.span(),
                            &format!("variants.matrix[{i}]"),
                            format!("variant `{}` is declared twice", variant.id()),
                        ));
                    }
                    out.push(variant);
                }
            }
        }
    }
    let reference = reference(ctx, v, &seen, &out)?;
    Ok((out, reference))
}

/// The reference variant: the one named, else `dir-pyc` when declared, else the first.
fn reference(
    ctx: &Ctx,
    v: &wire::Variants,
    seen: &HashSet<String>,
    out: &[Variant],
) -> Result<Variant, ScenarioError> {
    Ok(match &v.reference {
        Some(r) => {
            if !seen.contains(r.get_ref()) {
                let mut ids: Vec<String> = out.iter().map(Variant::id).collect();
                ids.truncate(8);
                return Err(ctx.err(
                    r.span(),
                    "variants.reference",
                    format!(
                        "`{}` is not one of the declared variants ({}{})",
                        r.get_ref(),
                        ids.join(", "),
                        if out.len() > 8 { ", ..." } else { "" }
                    ),
                ));
            }
            *out.iter()
                .find(|x| x.id() == *r.get_ref())
                .expect("a declared variant")
        }
        None => out
            .iter()
            .find(|x| x.id() == "dir-pyc")
            .copied()
            .unwrap_or(out[0]),
    })
}
