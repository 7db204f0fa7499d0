//! The string table: one line per text, English then Chinese.

macro_rules! strings {
    ($($key:ident => $en:literal, $zh:literal;)+) => {
        /// A user-visible text. Each key has an English and a Chinese form.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum K { $($key),+ }

        impl K {
            pub const ALL: &'static [K] = &[$(K::$key),+];
            pub fn en(self) -> &'static str { match self { $(K::$key => $en),+ } }
            pub fn zh(self) -> &'static str { match self { $(K::$key => $zh),+ } }
        }
    };
}

strings! {
    AppName => "CRM", "客户管理";
    SignIn => "Sign in", "登录";
    SignOut => "Sign out", "退出登录";
    SigningIn => "Signing in…", "正在登录…";
    Username => "Username", "用户名";
    Password => "Password", "密码";
    WrongPassword => "Wrong username or password.", "用户名或密码错误。";
    SignInOffline => "No connection: sign in needs the network once.", "无网络连接：首次登录需要联网。";
    Language => "Language", "语言";
    Today => "Today", "今日";
    Pipeline => "Pipeline", "销售漏斗";
    Leads => "Leads", "线索";
    Opportunities => "Opportunities", "商机";
    Customers => "Customers", "客户";
    Contacts => "Contacts", "联系人";
    Activities => "Activities", "活动";
    Dashboard => "Dashboard", "数据看板";
    DealsTab => "Deals", "商机";
    Navigation => "Main navigation", "主导航";
    Offline => "Offline", "离线";
    Connecting => "Connecting…", "正在连接…";
    Syncing => "Syncing", "同步中";
    UpToDate => "Up to date", "已同步";
    SyncState => "Sync state", "同步状态";
    NotSaved => "Not saved", "未保存";
    Dismiss => "Dismiss", "关闭";
    Search => "Search", "搜索";
    SearchEverything => "Search everything", "全局搜索";
    SearchHint => "Type to search records you can see (works offline).", "输入关键字搜索可见记录（离线可用）。";
    NoResults => "No results", "无结果";
    Close => "Close", "关闭";
    Owner => "Owner", "负责人";
    Maintainer => "Maintainer", "维护人";
    Team => "Team", "团队";
    AllOwners => "All owners", "全部负责人";
    AllTeams => "All teams", "全部团队";
    CloseMonth => "Close month", "预计成交月份";
    AllCloseMonths => "Any close month", "全部成交月份";
    Customer => "Customer", "客户";
    Amount => "Amount", "金额";
    ExpectedClose => "Expected close", "预计成交日期";
    DaysInStage => "days in stage", "天处于此阶段";
    Overdue => "Overdue", "已逾期";
    FollowUpOverdue => "Follow-up overdue", "跟进已逾期";
    MoveTo => "Move to…", "移动到…";
    Move => "Move", "移动";
    Total => "Total", "合计";
    Deals => "deals", "个商机";
    Name => "Name", "名称";
    Company => "Company", "公司";
    ContactName => "Contact name", "联系人姓名";
    Source => "Source", "来源";
    Status => "Status", "状态";
    Score => "Score", "评分";
    Stage => "Stage", "阶段";
    Number => "Number", "编号";
    Industry => "Industry", "行业";
    Region => "Region", "地区";
    Tier => "Tier", "客户等级";
    Tags => "Tags", "标签";
    Satisfaction => "Satisfaction", "满意度";
    Phone => "Phone", "电话";
    Email => "Email", "邮箱";
    Title => "Title", "职位";
    Notes => "Notes", "备注";
    NextFollowUp => "Next follow-up", "下次跟进";
    WinProbability => "Win probability", "赢单概率";
    SortBy => "Sort by", "排序";
    Filter => "Filter", "筛选";
    All => "All", "全部";
    Updated => "Last updated", "最近更新";
    Rows => "rows", "条";
    StageHistory => "Stage history", "阶段历史";
    FollowUpTimeline => "Follow-up timeline", "跟进记录";
    LogActivity => "Log an activity", "记录活动";
    ActivityKind => "Activity type", "活动类型";
    Subject => "Subject", "主题";
    Outcome => "Outcome", "结果";
    Save => "Log it", "记录";
    Win => "Mark won", "赢单";
    Lose => "Mark lost", "丢单";
    LostReason => "Lost reason", "丢单原因";
    Reopen => "Reopen", "重新打开";
    ContractsOrders => "Cooperation history", "合作历史";
    LifetimeValue => "Lifetime value", "累计成交额";
    OpenOpportunities => "Open opportunities", "进行中商机";
    WonOpportunities => "Won opportunities", "已赢单商机";
    Events => "Events", "事件";
    ServiceEvents => "Service and complaints", "服务与投诉";
    Convert => "Convert to opportunity", "转为商机";
    ConvertMatches => "A customer with this name exists. Attach to it or create a new one?", "已存在同名客户。关联到该客户还是新建？";
    UseExisting => "Use existing", "使用已有客户";
    CreateNew => "Create a new customer", "新建客户";
    Converted => "Converted", "已转化";
    DueToday => "Due today", "今日到期";
    NothingDue => "Nothing due. Well done.", "没有待办跟进。";
    ChurnWarnings => "Churn warnings", "流失预警";
    NoChurn => "No warnings.", "暂无预警。";
    InactiveDays => "No activity for {n} days", "已 {n} 天无活动";
    LowSatisfaction => "Low satisfaction: {n}", "满意度低：{n}";
    OpenComplaints => "{n} open complaints", "{n} 个未处理投诉";
    WinRate => "Win rate", "赢单率";
    SalesCycle => "Average sales cycle", "平均销售周期";
    Days => "days", "天";
    Funnel => "Funnel", "漏斗";
    LostReasons => "Lost reasons", "丢单原因";
    OpenPipeline => "Open pipeline", "在途金额";
    WonAmount => "Won", "已成交";
    AlsoHere => "Also here", "同时在看";
    IsTyping => "is typing", "正在输入";
    NotFound => "This record is not on this device (it may be hidden from you or not synced yet).", "此设备上没有该记录（可能无权查看或尚未同步）。";
    Loading => "Loading…", "加载中…";
    ReadOnly => "read only", "只读";
    None => "—", "—";
    Unassigned => "Unassigned", "未分配";
    Back => "Back", "返回";
    Me => "Me", "我";
    Details => "Details", "详情";
    OpenRecord => "Open", "打开";
    Active => "Active", "进行中";
    WonStatus => "Won", "已赢单";
    LostStatus => "Lost", "已丢单";
    ClosedStatus => "Closed", "已关闭";
    Due => "Due", "到期";
    When => "When", "时间";
    SavedLocally => "Saved on this device", "已保存到本设备";
    Error => "Something went wrong", "出错了";
    StatusNew => "New", "新线索";
    StatusContacted => "Contacted", "已联系";
    StatusQualified => "Qualified", "已确认";
    StatusDisqualified => "Disqualified", "无效";
    TierKey => "Key account", "重点客户";
    TierNormal => "Normal", "普通客户";
    TierLow => "Low frequency", "低频客户";
    KindCall => "Call", "电话";
    KindVisit => "Visit", "拜访";
    KindMeeting => "Meeting", "会议";
    KindEmail => "Email", "邮件";
    KindComplaint => "Complaint", "投诉";
    KindService => "Service", "服务";
}
