//! The customer-relationship strings (Today's reminders, relationship rules, customer metrics, erasure):
//! a table of their own beside `strings.rs`, English then Chinese, so a missing translation is still a
//! compile error.

macro_rules! relationship_strings {
    ($($key:ident => $en:literal, $zh:literal;)+) => {
        /// A user-visible customer-relationship text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum RK { $($key),+ }

        impl RK {
            pub const ALL: &'static [RK] = &[$(RK::$key),+];
        }

        impl super::Text for RK {
            fn en(self) -> &'static str { match self { $(RK::$key => $en),+ } }
            fn zh(self) -> &'static str { match self { $(RK::$key => $zh),+ } }
        }
    };
}

relationship_strings! {
    FollowUpsOverdue => "Follow-ups overdue", "逾期跟进";
    FollowUpsToday => "Follow-ups due today", "今日跟进";
    NoFollowUps => "No follow-ups due.", "没有待办跟进。";
    VisitsDue => "Visits due", "待回访客户";
    NoVisitsDue => "No visits due.", "暂无待回访客户。";
    CasesOverdue => "Complaints and tickets past due", "逾期的投诉与工单";
    NoCasesOverdue => "Nothing past due.", "没有逾期的投诉或工单。";
    LastVisitOn => "last visit {date}", "上次回访 {date}";
    NeverVisited => "never visited", "从未回访";
    DueOn => "due {date}", "应于 {date}";
    DueCount => "{n} due", "{n} 项待办";
    MoreNotShown => "{n} more not shown", "另有 {n} 项未显示";
    RulesTitle => "Customer relationship rules", "客户关系规则";
    RulesHint => "These rules drive the Today page, churn warnings and suggested tiers on every device.", "这些规则决定所有设备上的今日待办、流失预警和建议等级。";
    ChurnRulesHeading => "Churn warnings", "流失预警";
    InactiveDaysLabel => "Warn after this many days without activity", "无活动多少天后预警";
    MaxSatisfactionLabel => "Warn when satisfaction is at or below (1-5)", "满意度不高于此值时预警（1-5）";
    VisitIntervalsHeading => "Visit interval per tier (days)", "各等级回访间隔（天）";
    TierRulesHeading => "Tier rules", "客户等级规则";
    TierRulesHint => "Amounts in the currency below; deals in other currencies are not compared.", "金额以下列货币计；其他币种的成交不参与比较。";
    RulesCurrency => "Currency", "货币";
    KeyLifetimeLabel => "Key account: lifetime value at least", "重点客户：累计成交额不低于";
    KeyLastYearLabel => "Key account: last 12 months at least", "重点客户：近 12 个月成交额不低于";
    LowLastYearLabel => "Low frequency: last 12 months below", "低频客户：近 12 个月成交额低于";
    SaveRules => "Save rules", "保存规则";
    RulesSaved => "Rules saved.", "规则已保存。";
    ErrDays => "Whole days from 1 to 3650.", "请输入 1 到 3650 之间的整数天数。";
    ErrScore => "A whole number from 1 to 5.", "请输入 1 到 5 之间的整数。";
    ErrAmount => "An amount of 0 or more, at most two decimals.", "请输入不小于 0 的金额，最多两位小数。";
    ErrCurrency => "A three-letter code such as CNY.", "请输入三位货币代码，如 CNY。";
    ErrKeyBelowLow => "Must be at least the low-frequency amount.", "不能低于低频客户的金额。";
    SuggestedTier => "Suggested from data", "数据建议等级";
    TierMatches => "matches the chosen tier", "与当前等级一致";
    TierDiffers => "differs from the chosen tier", "与当前等级不同";
    TierNoData => "No amounts you may see: no suggestion.", "没有可见的金额，无法建议。";
    LastTwelveMonths => "Last 12 months", "近 12 个月";
    AllTiers => "All tiers", "全部等级";
    TierFilter => "Tier", "客户等级";
    SortName => "Name", "名称";
    SortLastContact => "Last contact (oldest first)", "最近联系（最久未联系在前）";
    SortSatisfaction => "Satisfaction (lowest first)", "满意度（最低在前）";
    SortLifetime => "Lifetime value (highest first)", "累计成交额（最高在前）";
    LastContact => "Last contact", "最近联系";
    NoContactYet => "no contact yet", "尚无联系";
    CustomerMetrics => "Customers", "客户指标";
    TierBreakdown => "Customers per tier", "各等级客户数";
    AverageSatisfaction => "Average satisfaction", "平均满意度";
    AverageLifetimeValue => "Average lifetime value", "平均累计成交额";
    RepurchaseRate => "Repurchase rate", "复购率";
    AtRisk => "At risk", "流失风险客户";
    NoneAtRisk => "No customer at risk.", "没有流失风险客户。";
    ErasePersonalData => "Erase personal data", "删除个人信息";
    EraseConfirm => "Erase the phone, e-mail and other personal data of {name} everywhere? This cannot be undone.", "确定在所有设备上删除 {name} 的电话、邮箱等个人信息吗？此操作无法撤销。";
    Erased => "Personal data erased.", "个人信息已删除。";
    Erasing => "Erasing…", "正在删除…";
}
