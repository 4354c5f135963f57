//! The pieces the migrations share, so that each migration reads as its tables, keys and
//! indexes.
//!
//! Landed migrations call these functions: what one of them produces is part of the schema
//! those migrations made, so it never changes. A migration that needs another shape writes it
//! itself or adds a new function here.
use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, integer};

/// Tables an earlier migration created, as a later one names them to point a key at them.
pub mod refs {
    use sea_orm_migration::prelude::*;

    #[derive(DeriveIden)]
    pub enum Unit {
        Table,
        Id,
    }

    #[derive(DeriveIden)]
    pub enum AppUser {
        Table,
        Id,
    }

    #[derive(DeriveIden)]
    pub enum Visit {
        Table,
        Id,
    }

    #[derive(DeriveIden)]
    pub enum ReminderRule {
        Table,
        Kind,
        Offsets,
        Enabled,
        UpdatedAt,
    }

    #[derive(DeriveIden, Clone, Copy)]
    pub enum SubUnit {
        Table,
        UnitId,
        Year,
        Name,
    }

    #[derive(DeriveIden, Clone, Copy)]
    pub enum Breakdown {
        Table,
        Id,
        UnitId,
        Year,
        Status,
    }

    #[derive(DeriveIden, Clone, Copy)]
    pub enum BreakdownRow {
        Table,
        BreakdownId,
        Name,
    }

    /// The totals every `*_month_total` table keeps.
    #[derive(DeriveIden, Clone, Copy)]
    pub enum MonthTotal {
        CollectedDonations,
        CollectedVolumeMl,
        BookedDonors,
    }
}

/// The `Table` idens of the iden enums named, in order, as one list for `drop_tables`.
macro_rules! tables {
    ($($table:ident),+ $(,)?) => {
        [$($table::Table.into_iden()),+]
    };
}
pub(super) use tables;

/// Creates the table `stmt` describes.
pub async fn create_table(manager: &SchemaManager<'_>, stmt: &mut TableCreateStatement) -> Result<(), DbErr> {
    manager.create_table(stmt.to_owned()).await
}

/// Drops `tables`, in that order (the ones that point at others first).
pub async fn drop_tables(
    manager: &SchemaManager<'_>,
    tables: impl IntoIterator<Item = DynIden>,
) -> Result<(), DbErr> {
    for table in tables {
        manager.drop_table(Table::drop().table(table).to_owned()).await?;
    }
    Ok(())
}

/// Drops the index `name` on `table`.
pub async fn drop_index(manager: &SchemaManager<'_>, name: &str, table: impl IntoIden) -> Result<(), DbErr> {
    manager.drop_index(Index::drop().name(name).table(table).to_owned()).await
}

/// Adds `columns` to `table`, one ALTER each: SQLite takes one change per statement.
pub async fn add_columns(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = ColumnDef>,
) -> Result<(), DbErr> {
    alter_each(manager, table, columns, |alter, mut column| alter.add_column(&mut column)).await
}

/// Drops `columns` from `table`, one ALTER each.
pub async fn drop_columns<C: IntoIden>(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    alter_each(manager, table, columns, |alter, column| alter.drop_column(column)).await
}

/// One `ALTER TABLE table` per item, each made by `change`.
async fn alter_each<T>(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    items: impl IntoIterator<Item = T>,
    change: impl Fn(&mut TableAlterStatement, T) -> &mut TableAlterStatement,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    for item in items {
        let mut alter = Table::alter().table(table.clone()).to_owned();
        change(&mut alter, item);
        manager.alter_table(alter).await?;
    }
    Ok(())
}

/// Foreign keys, declared on the table they belong to.
pub trait References {
    /// A key from `col` of this table to `to_table.to_col`, unnamed (each backend names it).
    /// `on_delete` is `Cascade`, `Restrict`, or `None` for no ON DELETE clause (NO ACTION).
    fn references(
        &mut self,
        col: impl IntoIden,
        to_table: impl IntoIden,
        to_col: impl IntoIden,
        on_delete: impl Into<Option<ForeignKeyAction>>,
    ) -> &mut Self;
}

impl References for TableCreateStatement {
    fn references(
        &mut self,
        col: impl IntoIden,
        to_table: impl IntoIden,
        to_col: impl IntoIden,
        on_delete: impl Into<Option<ForeignKeyAction>>,
    ) -> &mut Self {
        let mut key = ForeignKey::create();
        if let Some(table) = self.get_table_name() {
            key.from_tbl(table.clone());
        }
        key.from_col(col).to(to_table, to_col);
        if let Some(action) = on_delete.into() {
            key.on_delete(action);
        }
        self.foreign_key(&mut key)
    }
}

/// Several columns at once, for a group of columns that more than one table has.
pub trait Columns {
    /// Adds `columns`, in order, as that many `col` calls would.
    fn cols(&mut self, columns: impl IntoIterator<Item = ColumnDef>) -> &mut Self;
}

impl Columns for TableCreateStatement {
    fn cols(&mut self, columns: impl IntoIterator<Item = ColumnDef>) -> &mut Self {
        for column in columns {
            self.col(column);
        }
        self
    }
}

fn index_on<C: IntoIndexColumn>(
    name: &str,
    table: impl IntoIden,
    cols: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    index
}

/// Creates the index `name` on `table (cols…)`.
pub async fn index<C: IntoIndexColumn>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    manager.create_index(index_on(name, table, cols)).await
}

/// Creates the unique index `name` on `table (cols…)`.
pub async fn unique_index<C: IntoIndexColumn>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    manager.create_index(index_on(name, table, cols).unique().to_owned()).await
}

/// An integer column that holds a count: never negative.
pub fn count<C: IntoIden + Clone + 'static>(col: C) -> ColumnDef {
    integer(col.clone()).check(Expr::col(col).gte(0)).to_owned()
}

/// An integer column that must be above zero.
pub fn positive<C: IntoIden + Clone + 'static>(col: C) -> ColumnDef {
    integer(col.clone()).check(Expr::col(col).gt(0)).to_owned()
}

/// Inserts reminder rules `(kind, offsets)`, enabled, last updated at the Unix epoch.
pub async fn insert_reminder_rules(manager: &SchemaManager<'_>, rules: &[(&str, &str)]) -> Result<(), DbErr> {
    use refs::ReminderRule;
    let epoch = chrono::DateTime::<chrono::Utc>::from_timestamp(0, 0).unwrap_or_default();
    let mut insert = Query::insert()
        .into_table(ReminderRule::Table)
        .columns([ReminderRule::Kind, ReminderRule::Offsets, ReminderRule::Enabled, ReminderRule::UpdatedAt])
        .to_owned();
    for (kind, offsets) in rules {
        insert.values_panic([(*kind).into(), (*offsets).into(), true.into(), epoch.into()]);
    }
    manager.exec_stmt(insert).await
}

/// The totals of a `*_month_total` table: donations, volume and donors booked, each from 0.
pub fn month_totals() -> [ColumnDef; 3] {
    use refs::MonthTotal::{BookedDonors, CollectedDonations, CollectedVolumeMl};
    [CollectedDonations, CollectedVolumeMl, BookedDonors].map(|c| big_integer(c).default(0).to_owned())
}

/// Runs `statements` as raw SQL, in order.
pub async fn execute_all(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    for sql in statements {
        manager.get_connection().execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// A CHECK named `name` on `table`: a constraint on PostgreSQL and MySQL; on SQLite, which
/// cannot add a constraint to an existing table, a pair of triggers `<name>_insert` and
/// `<name>_update` that abort the statement with "CHECK constraint failed: <name>".
pub struct NamedCheck<'a> {
    pub table: &'a str,
    pub name: &'a str,
    /// What every row must meet (the constraint's expression).
    pub check: &'a str,
    /// The columns whose update the SQLite update trigger watches.
    pub update_of: &'a str,
    /// What the SQLite triggers refuse, said of `NEW`.
    pub violated: &'a str,
}

impl NamedCheck<'_> {
    /// The statements that make the check on `backend`.
    pub fn add(&self, backend: DbBackend) -> Vec<String> {
        let NamedCheck { table, name, check, update_of, violated } = self;
        match backend {
            DbBackend::Sqlite => {
                [("insert", "INSERT".to_owned()), ("update", format!("UPDATE OF {update_of}"))]
                    .into_iter()
                    .map(|(suffix, on)| {
                        format!(
                            "CREATE TRIGGER {name}_{suffix} BEFORE {on} ON {table} FOR EACH ROW \
                         WHEN {violated} \
                         BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
                        )
                    })
                    .collect()
            }
            _ => vec![format!("ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({check})")],
        }
    }
}

/// The statements that drop the check `name` on `table` that `NamedCheck::add` made.
pub fn drop_check(backend: DbBackend, table: &str, name: &str) -> Vec<String> {
    match backend {
        DbBackend::Sqlite => {
            vec![
                format!("DROP TRIGGER IF EXISTS {name}_insert"),
                format!("DROP TRIGGER IF EXISTS {name}_update"),
            ]
        }
        DbBackend::MySql => vec![format!("ALTER TABLE {table} DROP CHECK {name}")],
        _ => vec![format!("ALTER TABLE {table} DROP CONSTRAINT {name}")],
    }
}

/// `(unit_id, year, name)` of every row of every accepted breakdown version.
pub fn accepted_breakdown_names() -> SelectStatement {
    use refs::{Breakdown, BreakdownRow};
    Query::select()
        .columns([(Breakdown::Table, Breakdown::UnitId), (Breakdown::Table, Breakdown::Year)])
        .column((BreakdownRow::Table, BreakdownRow::Name))
        .from(BreakdownRow::Table)
        .inner_join(
            Breakdown::Table,
            Expr::col((Breakdown::Table, Breakdown::Id))
                .equals((BreakdownRow::Table, BreakdownRow::BreakdownId)),
        )
        .and_where(Expr::col((Breakdown::Table, Breakdown::Status)).eq("ACCEPTED"))
        .to_owned()
}

/// Inserts a `sub_unit` row for each `(unit_id, year, name)` that `names` selects.
pub async fn insert_sub_units(manager: &SchemaManager<'_>, names: SelectStatement) -> Result<(), DbErr> {
    use refs::SubUnit;
    let insert = Query::insert()
        .into_table(SubUnit::Table)
        .columns([SubUnit::UnitId, SubUnit::Year, SubUnit::Name])
        .select_from(names)
        .map_err(|e| DbErr::Migration(e.to_string()))?
        .to_owned();
    manager.exec_stmt(insert).await
}
