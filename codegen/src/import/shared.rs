//! Types shared across pages (`spec/types/`): each entity table of a `data-types.md` page
//! (`sale_order`, `catalog_product`, `crm_rest_field_description`, ...) is one named type,
//! read from that page alone, so every method that uses the entity uses one Rust type.
//!
//! A method page copies the table it links (`[sale_order](../data-types.md#sale_order)`)
//! into its own types, with the types the table uses; where that copy is exactly the
//! shared definition, the method drops it and names the shared type. A copy the method's
//! own rules changed (a field its response example adds, field descriptions in place of
//! values, another name because the method already used one) stays the method's own, and
//! its name shadows the shared one in that method only.
//!
//! Which entities are shared, and under which names, depends on the docs tree alone,
//! never on which methods are imported. A type name that two entity tables define
//! differently (the enum `Type` of `catalog_product`'s and of `sale_order`'s `type`
//! field) is contested: each entity's own is renamed after it (`CatalogProductType`,
//! `SaleOrderType`). An entity whose own name is contested is not shared.

use std::collections::{BTreeMap, BTreeSet};

use crate::naming;
use crate::spec::model::{Method, TypeDef};
use crate::spec::types::TypeExpr;

use super::page::{self, Page};

/// The shared definitions of a docs tree, and those the imported methods use.
#[derive(Debug)]
pub struct Sharing {
    /// The entity tables that can be shared.
    entities: BTreeMap<EntityTable, Entity>,
    /// The shared types the methods use, by name.
    pub used: BTreeMap<String, TypeDef>,
}

/// One entity table's types (the entity's first).
#[derive(Debug)]
struct Entity {
    /// As a method page reads them.
    read: Vec<TypeDef>,
    /// As shared: contested names renamed after the entity.
    shared: Vec<TypeDef>,
    /// Contested name → its name in `shared`.
    renamed: BTreeMap<String, String>,
}

impl Sharing {
    /// Reads every entity table of the given `data-types.md` pages (docs paths).
    pub fn new(pages: &[String], read: &dyn Fn(&str) -> Option<String>) -> Sharing {
        let tables: Vec<(EntityTable, Vec<TypeDef>)> =
            pages.iter().flat_map(|p| entity_tables(p, read)).collect();
        let contested = contested_names(tables.iter().flat_map(|(_, t)| t));
        let mut entities = BTreeMap::new();
        for (table, types) in tables {
            let Some(root) = types.first().map(|t| t.name.clone()) else {
                continue;
            };
            if contested.contains(&root) {
                continue;
            }
            let renamed: BTreeMap<String, String> = types
                .iter()
                .filter(|t| contested.contains(&t.name))
                .map(|t| (t.name.clone(), format!("{root}{}", t.name)))
                .collect();
            let shared = types.iter().map(|t| rename(t, &renamed)).collect();
            entities.insert(
                table,
                Entity {
                    read: types,
                    shared,
                    renamed,
                },
            );
        }
        // A renamed type may meet another entity's type of that name: neither is shared.
        let clash = contested_names(entities.values().flat_map(|e| &e.shared));
        entities.retain(|_, e| e.shared.iter().all(|t| !clash.contains(&t.name)));
        Sharing {
            entities,
            used: BTreeMap::new(),
        }
    }

    /// Replaces the method's copies of entity tables (`origins`: its type names read from
    /// a `data-types.md` table) that are exactly the shared definitions by the shared
    /// types; returns a note per entity shared.
    pub fn apply(
        &mut self,
        m: &mut Method,
        origins: &BTreeMap<String, EntityTable>,
    ) -> Vec<String> {
        let mut notes = Vec::new();
        for (name, table) in origins {
            let Some(entity) = self.entities.get(table) else {
                continue;
            };
            if entity.read.first().map(|t| &t.name) != Some(name) {
                continue;
            }
            let reached = super::reachable(&m.types, &[name.as_str()]);
            let copy: Vec<&TypeDef> = m
                .types
                .iter()
                .filter(|t| reached.contains(&t.name))
                .collect();
            let same =
                copy.len() == entity.read.len() && entity.read.iter().all(|r| copy.contains(&r));
            if !same {
                continue;
            }
            // The copy's types are the shared ones now, but a renamed one (`Type`, shared
            // as `CatalogProductType`) stays the method's own where the method uses it
            // elsewhere: pruning drops it otherwise.
            m.types
                .retain(|t| !reached.contains(&t.name) || entity.renamed.contains_key(&t.name));
            super::prune_types(m);
            for t in &entity.shared {
                self.used.insert(t.name.clone(), t.clone());
            }
            notes.push(format!(
                "`{name}` is the shared type of `{}#{}` (spec/types)",
                table.page, table.anchor
            ));
        }
        notes
    }
}

/// An entity table: a fields table under an anchored heading of a `data-types.md` page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EntityTable {
    /// Docs path of the page (`api-reference/sale/data-types.md`).
    pub page: String,
    /// The heading's anchor (`sale_order`).
    pub anchor: String,
}

/// Whether `path` is a page of data types and object structures.
pub fn is_data_types_page(path: &str) -> bool {
    path == "data-types.md" || path.ends_with("/data-types.md")
}

/// Every entity table of the `data-types.md` page at `path`, each read on its own (as a
/// method page reads the one it links): the entity's type first, then the types it uses.
pub fn entity_tables(
    path: &str,
    includes: &dyn Fn(&str) -> Option<String>,
) -> Vec<(EntityTable, Vec<TypeDef>)> {
    let mut probe = Page::new("", path, includes);
    probe.load_foreign(path);
    let anchors: Vec<String> = probe
        .nested
        .iter()
        .filter(|n| page::is_fields_table(&n.rows))
        .filter_map(|n| n.anchor.clone())
        .collect();
    let mut out = Vec::new();
    for anchor in anchors {
        // Each table on a fresh page (names claimed as a method page claims them), the
        // page's tables parsed once.
        let mut p = Page::new("", path, includes);
        p.nested = probe.nested.clone();
        p.loaded = probe.loaded.clone();
        let Some(idx) = p.table_at(path, &anchor) else {
            continue;
        };
        let name = if (path, anchor.as_str()) == super::descriptions::FIELD_DESCRIPTION {
            p.type_for_table_named(idx, Some("FieldDescription"), "FieldDescription", "")
        } else {
            p.type_for_table(idx, &naming::type_name(&anchor), "")
        };
        let mut types = std::mem::take(&mut p.types);
        let Some(at) = types.iter().position(|t| t.name == name) else {
            continue;
        };
        let root = types.remove(at);
        types.insert(0, root);
        out.push((
            EntityTable {
                page: path.to_string(),
                anchor,
            },
            types,
        ));
    }
    out
}

/// The names that `types` define more than once, differently.
fn contested_names<'t>(types: impl Iterator<Item = &'t TypeDef>) -> BTreeSet<String> {
    let mut defs: BTreeMap<&str, &TypeDef> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for t in types {
        match defs.get(t.name.as_str()) {
            Some(d) if *d != t => {
                out.insert(t.name.clone());
            }
            Some(_) => {}
            None => {
                defs.insert(&t.name, t);
            }
        }
    }
    out
}

/// `t` with the names in `renamed` replaced, in its name and its fields' types.
fn rename(t: &TypeDef, renamed: &BTreeMap<String, String>) -> TypeDef {
    let mut t = t.clone();
    if let Some(n) = renamed.get(&t.name) {
        t.name = n.clone();
    }
    for f in t.fields.iter_mut().flatten() {
        f.ty = TypeExpr::map_named_text(&f.ty, &|n| {
            renamed.get(n).cloned().unwrap_or_else(|| n.to_owned())
        });
    }
    t
}
