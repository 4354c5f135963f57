//! GraphQL mirrors of the domain's enums.
use async_graphql::Enum;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "Section", remote = "crate::domain::Section")]
pub enum SectionGql {
    County,
    CityUnit,
    Enterprise,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "UnitKind", remote = "crate::domain::UnitKind")]
pub enum UnitKindGql {
    University,
    School,
    Hospital,
    Government,
    Military,
    Bank,
    Insurer,
    Enterprise,
    Hotel,
    Retail,
    Other,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "Role", remote = "crate::domain::auth::Role")]
pub enum RoleGql {
    /// 市献血办
    Office,
    /// 单位联络员
    Liaison,
    /// 血站工作人员
    Station,
}
