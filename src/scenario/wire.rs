//! The scenario file as serde reads it: every field optional where the format allows,
//! every value wrapped in [`Spanned`] so validation errors can point at it.

use serde::Deserialize;
use toml::Spanned;

/// Top level of a scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Scenario {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    pub seed: Spanned<i64>,
    pub tree: Option<Spanned<Tree>>,
    pub corpus: Option<Spanned<Corpus>>,
    #[serde(default)]
    pub workload: Workload,
    pub variants: Option<Spanned<Variants>>,
    #[serde(default)]
    pub measure: Measure,
    #[serde(default)]
    pub sweep: Vec<Spanned<Sweep>>,
    #[serde(default)]
    pub fleet: Option<Spanned<Fleet>>,
    #[serde(default)]
    pub hot_update: Option<Spanned<HotUpdate>>,
}

/// One `[[sweep]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Sweep {
    pub parameter: Spanned<String>,
    pub values: Spanned<Vec<Spanned<i64>>>,
}

/// `[fleet]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Fleet {
    pub processes: Option<Spanned<Vec<Spanned<i64>>>>,
    pub sharing: Option<Spanned<StrList>>,
    pub page_cache: Option<Spanned<StrList>>,
    pub rounds: Option<Spanned<i64>>,
}

/// `[hot-update]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct HotUpdate {
    pub pickup: Option<Spanned<StrList>>,
    pub rounds: Option<Spanned<i64>>,
}

/// `[tree]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Tree {
    pub packages: Spanned<i64>,
    pub depth: Option<Spanned<i64>>,
    pub subpackages: Option<Spanned<i64>>,
    pub modules: Spanned<i64>,
    pub lines: Option<Spanned<i64>>,
    pub imports: Option<Spanned<i64>>,
    pub data_files: Option<Spanned<i64>>,
    pub data_size: Option<Spanned<i64>>,
    pub prefix: Option<Spanned<String>>,
    pub filler: Option<Spanned<i64>>,
}

/// `[corpus]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Corpus {
    pub kind: Spanned<String>,
    pub path: Option<Spanned<String>>,
    pub paths: Option<Spanned<Vec<Spanned<String>>>>,
    pub entry: Option<Spanned<Vec<String>>>,
}

/// `[workload]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Workload {
    pub import: Option<Spanned<String>>,
    pub modules: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `[variants]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Variants {
    pub reference: Option<Spanned<String>>,
    #[serde(default)]
    pub matrix: Vec<Spanned<Matrix>>,
}

/// One `[[variants.matrix]]` entry: the cross product of its lists.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Matrix {
    pub layout: Spanned<StrList>,
    pub compression: Option<Spanned<StrList>>,
    pub bytecode: Option<Spanned<StrList>>,
}

/// `[measure]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct Measure {
    pub modes: Option<Spanned<StrList>>,
    pub samples: Option<Spanned<i64>>,
    pub precision: Option<Spanned<f64>>,
    pub min_samples: Option<Spanned<i64>>,
    pub warmup: Option<Spanned<i64>>,
    pub timeout_secs: Option<Spanned<i64>>,
    pub metrics: Option<Spanned<StrList>>,
    pub instruction_samples: Option<Spanned<i64>>,
    pub reference_every: Option<Spanned<i64>>,
    pub focus: Option<Spanned<StrList>>,
    pub focus_modes: Option<Spanned<StrList>>,
    pub focus_samples: Option<Spanned<i64>>,
    pub focus_precision: Option<Spanned<f64>>,
    pub lazy_imports: Option<Spanned<StrList>>,
    pub trace: Option<Spanned<bool>>,
}

/// A string or a list of strings (`layout = "zip"` or `layout = ["dir", "zip"]`).
#[derive(Debug)]
pub(super) struct StrList(pub Vec<String>);

impl<'de> Deserialize<'de> for StrList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "a string or an array of strings")]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(s) => StrList(vec![s]),
            OneOrMany::Many(v) => StrList(v),
        })
    }
}
