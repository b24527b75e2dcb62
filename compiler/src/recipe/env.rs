//! What the checker needs from outside the recipe: the mechanisms its sources provide and the
//! features the feature library computes. The `myelin` tool supplies both (mechanism metadata
//! from compiling the sources, features from the standard library); tests supply their own.

use myelin_runtime::abi::MechanismMeta;

/// A feature the feature library computes.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureInfo {
    /// Unit of its values (`mV`, `ms`, `Hz`, `megohm`; empty for counts and ratios).
    pub unit: &'static str,
}

/// The checker's view of the world outside the recipe.
pub trait Environment {
    /// Metadata of a mechanism the recipe's sources provide.
    fn mechanism(&self, name: &str) -> Option<&MechanismMeta>;
    /// Names of every available mechanism (for suggestions).
    fn mechanism_names(&self) -> Vec<String>;
    /// A feature by its eFEL name; on failure, the closest known name if one is close.
    fn feature(&self, name: &str) -> Result<FeatureInfo, Option<String>>;
}

/// An environment from a list of mechanisms and a feature lookup function (tests, tools).
pub struct SimpleEnv<F: Fn(&str) -> Result<FeatureInfo, Option<String>>> {
    /// Mechanisms.
    pub mechanisms: Vec<MechanismMeta>,
    /// Feature lookup.
    pub features: F,
}

impl<F: Fn(&str) -> Result<FeatureInfo, Option<String>>> Environment for SimpleEnv<F> {
    fn mechanism(&self, name: &str) -> Option<&MechanismMeta> {
        self.mechanisms.iter().find(|m| m.name == name)
    }

    fn mechanism_names(&self) -> Vec<String> {
        self.mechanisms.iter().map(|m| m.name.clone()).collect()
    }

    fn feature(&self, name: &str) -> Result<FeatureInfo, Option<String>> {
        (self.features)(name)
    }
}
