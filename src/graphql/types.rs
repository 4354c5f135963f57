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

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "Session", remote = "crate::domain::visit::Session")]
pub enum SessionGql {
    /// 上午
    Morning,
    /// 下午
    Afternoon,
    /// 全天: both halves
    FullDay,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "VisitStatus", remote = "crate::domain::visit::VisitStatus")]
pub enum VisitStatusGql {
    Requested,
    Confirmed,
    Completed,
    Cancelled,
    NoShow,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "CollectionSite", remote = "crate::domain::collection::CollectionSite")]
pub enum CollectionSiteGql {
    /// 献血单位: a vehicle at the holder
    AtUnit,
    /// 中心血站
    CentralStation,
    /// 献血屋
    DonationHouse,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "ReminderKind", remote = "crate::domain::reminders::ReminderKind")]
pub enum ReminderKindGql {
    /// 开学前提醒高校预约采血车
    Term,
    /// 采血车到访前提醒单位做好准备
    Visit,
    /// 每周进度落后单位汇总 (发给市献血办)
    Digest,
    /// 联络员预约、改期、撤回的每日汇总 (发给市献血办)
    Activity,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OutboxStatus", remote = "crate::domain::reminders::OutboxStatus")]
pub enum OutboxStatusGql {
    Pending,
    Sending,
    Sent,
    Failed,
    Cancelled,
}
