//! Word lists for the demo company: fictitious companies and people, Chinese and English.

/// (name, industry, region)
pub const COMPANIES: &[(&str, &str, &str)] = &[
    ("上海明辉机械有限公司", "Manufacturing", "华东 East China"),
    ("Hangzhou Lakeside Tea Co.", "Food & Beverage", "华东 East China"),
    ("北京云帆信息技术有限公司", "Software", "华北 North China"),
    ("Shenzhen BrightWave Electronics", "Electronics", "华南 South China"),
    ("广州恒信物流有限公司", "Logistics", "华南 South China"),
    ("Chengdu Panda Foods Ltd.", "Food & Beverage", "西南 Southwest"),
    ("苏州瑞泰精密制造有限公司", "Manufacturing", "华东 East China"),
    ("Wuhan Riverside Medical Devices", "Healthcare", "华中 Central China"),
    ("南京金陵教育科技有限公司", "Education", "华东 East China"),
    ("Qingdao Harbor Shipping Co.", "Logistics", "华北 North China"),
    ("西安丝路文化传媒有限公司", "Media", "西北 Northwest"),
    ("Xiamen Seabreeze Hotels Group", "Hospitality", "华南 South China"),
    ("天津海川化工有限公司", "Chemicals", "华北 North China"),
    ("Ningbo Eastern Textiles Ltd.", "Textiles", "华东 East China"),
    ("重庆山城汽车配件有限公司", "Automotive", "西南 Southwest"),
    ("Kunming Spring Agriculture Co.", "Agriculture", "西南 Southwest"),
    ("长沙湘江新能源有限公司", "Energy", "华中 Central China"),
    ("Dalian Northstar Software", "Software", "东北 Northeast"),
    ("合肥创新半导体有限公司", "Electronics", "华东 East China"),
    ("Shenyang Iron Bridge Construction", "Construction", "东北 Northeast"),
    ("福州闽江家居有限公司", "Retail", "华南 South China"),
    ("Zhengzhou Central Plains Grain Co.", "Agriculture", "华中 Central China"),
    ("无锡太湖环保科技有限公司", "Environmental", "华东 East China"),
    ("Harbin Snowfield Dairy Ltd.", "Food & Beverage", "东北 Northeast"),
    ("佛山美家陶瓷有限公司", "Manufacturing", "华南 South China"),
    ("Jinan Spring City Pharma", "Healthcare", "华北 North China"),
    ("东莞精工模具有限公司", "Manufacturing", "华南 South China"),
    ("Suzhou Silk Road Fashion Co.", "Textiles", "华东 East China"),
    ("珠海海洋科技有限公司", "Electronics", "华南 South China"),
    ("Nanchang Red Valley Printing", "Media", "华中 Central China"),
    ("厦门鹭岛软件有限公司", "Software", "华南 South China"),
    ("Lanzhou Yellow River Metals", "Metals", "西北 Northwest"),
    ("温州宏达电器有限公司", "Electronics", "华东 East China"),
    ("Guiyang Mountain Data Center", "Software", "西南 Southwest"),
    ("常州龙城新材料有限公司", "Chemicals", "华东 East China"),
    ("Taiyuan Coal Tech Equipment", "Energy", "华北 North China"),
    ("绍兴古越酒业有限公司", "Food & Beverage", "华东 East China"),
    ("Nanning Green Valley Fruits", "Agriculture", "华南 South China"),
    ("烟台海滨葡萄酒有限公司", "Food & Beverage", "华北 North China"),
    ("Hefei Skyline Robotics", "Manufacturing", "华东 East China"),
];

pub const PEOPLE: &[&str] = &[
    "王建国", "李静", "张敏", "刘强", "陈晓燕", "杨帆", "赵磊", "黄丽", "周杰", "吴芳", "徐明", "孙婷",
    "马超", "朱琳", "胡斌", "郭晶", "何涛", "高洁", "林峰", "罗娟", "David Chen", "Emily Wang", "Michael Liu",
    "Sarah Zhang", "Kevin Huang", "Linda Zhou", "Jason Wu", "Grace Lin", "Peter Xu", "Amy Sun",
];

pub const TITLES: &[&str] = &[
    "采购经理 Purchasing Manager",
    "总经理 General Manager",
    "IT主管 IT Director",
    "财务总监 CFO",
    "运营经理 Operations Manager",
    "技术负责人 Head of Engineering",
    "行政主管 Office Manager",
];

pub const PRODUCTS: &[&str] = &[
    "CRM 年度订阅 Annual subscription",
    "ERP 集成项目 ERP integration",
    "数据平台升级 Data platform upgrade",
    "移动销售终端 Mobile sales kit",
    "客服系统 Service desk rollout",
    "培训服务 Training package",
    "私有化部署 On-premise deployment",
    "门店数字化 Store digitization",
];

pub const LOST_REASONS: &[&str] = &[
    "价格过高 Price too high",
    "选择了竞争对手 Chose a competitor",
    "预算取消 Budget cancelled",
    "需求不匹配 Requirements mismatch",
];

pub const ACTIVITY_SUBJECTS: &[&str] = &[
    "电话沟通需求 Call about requirements",
    "上门拜访 On-site visit",
    "方案演示 Solution demo",
    "报价邮件 Quote by email",
    "季度回顾会议 Quarterly review meeting",
    "合同条款讨论 Contract terms discussion",
];

pub const COMPLAINTS: &[&str] = &[
    "系统响应慢 System is slow",
    "发票错误 Wrong invoice",
    "交付延迟 Delivery delayed",
    "培训不足 Not enough training",
];
