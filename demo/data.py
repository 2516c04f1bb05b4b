"""The Huyi district's units, halls, windows and item catalogue (demo)."""

# (code, name, kind, is_bureau)
DEPARTMENTS = [
    ("SPJ", "区行政审批局", "district", True),
    ("GAJ", "区公安分局", "district", False),
    ("RSJ", "区人社局", "district", False),
    ("MZJ", "区民政局", "district", False),
    ("ZJJ", "区住建局", "district", False),
    ("GJJ", "区住房公积金管理中心", "district", False),
    ("SCJ", "区市场监管局", "district", False),
    ("SWJ", "区税务局", "district", False),
    ("ZRJ", "区自然资源局", "district", False),
    ("YBJ", "区医保局", "district", False),
    ("WJJ", "区卫健局", "district", False),
    ("JTJ", "区交通运输局", "district", False),
    ("GTJD", "甘亭街道", "town", False),
    ("YXJD", "余下街道", "town", False),
    ("CTJD", "草堂街道", "town", False),
    ("SJJD", "石井街道", "town", False),
    ("WZJD", "五竹街道", "town", False),
    ("YCJD", "玉蝉街道", "town", False),
    ("ZAZ", "祖庵镇", "town", False),
    ("QDZ", "秦渡镇", "town", False),
    ("DWZ", "大王镇", "town", False),
    ("JCZ", "蒋村镇", "town", False),
    ("PGZ", "庞光镇", "town", False),
    ("LDZ", "涝店镇", "town", False),
    ("GHZ", "甘河镇", "town", False),
    ("JQGLJ", "景区管理局", "scenic", False),
]

# (code, name, department, address)
HALLS = [
    ("SMZJ", "鄠邑市民之家", "SPJ", "西安市鄠邑区"),
    ("GAJ-HZ", "区公安分局户政服务大厅", "GAJ", "西安市鄠邑区"),
    ("RSJ-DT", "区人社局社保服务大厅", "RSJ", "西安市鄠邑区"),
    ("GJJ-DT", "区住房公积金管理中心服务大厅", "GJJ", "西安市鄠邑区"),
]

# Windows of 鄠邑市民之家 and the departments' own halls: (code, name, hall, department)
WINDOWS = [
    ("SMZJ-01", "综合受理一号窗口", "SMZJ", "SPJ"),
    ("SMZJ-02", "综合受理二号窗口", "SMZJ", "SPJ"),
    ("SMZJ-03", "企业开办窗口", "SMZJ", "SCJ"),
    ("SMZJ-04", "工程建设项目审批窗口", "SMZJ", "ZJJ"),
    ("SMZJ-05", "不动产登记窗口", "SMZJ", "ZRJ"),
    ("SMZJ-06", "税务综合窗口", "SMZJ", "SWJ"),
    ("SMZJ-07", "医保业务窗口", "SMZJ", "YBJ"),
    ("SMZJ-08", "婚姻登记窗口", "SMZJ", "MZJ"),
    ("SMZJ-09", "交通运输窗口", "SMZJ", "JTJ"),
    ("SMZJ-10", "卫生健康窗口", "SMZJ", "WJJ"),
    ("GAJ-HZ-01", "户籍业务窗口", "GAJ-HZ", "GAJ"),
    ("GAJ-HZ-02", "居民身份证窗口", "GAJ-HZ", "GAJ"),
    ("RSJ-DT-01", "社保登记窗口", "RSJ-DT", "RSJ"),
    ("RSJ-DT-02", "养老待遇窗口", "RSJ-DT", "RSJ"),
    ("GJJ-DT-01", "公积金提取窗口", "GJJ-DT", "GJJ"),
    ("GJJ-DT-02", "公积金贷款窗口", "GJJ-DT", "GJJ"),
]

# Every town (and the scenic-area bureau) has a 便民服务中心 with two windows.
TOWN_WINDOWS = ("综合便民窗口一", "综合便民窗口二")

# (code suffix, name, category, department)
ITEMS = [
    ("SPJ-001", "企业投资项目核准", "行政许可", "SPJ"),
    ("SPJ-002", "公共场所卫生许可", "行政许可", "SPJ"),
    ("SPJ-003", "民办非企业单位成立登记", "行政许可", "SPJ"),
    ("SPJ-004", "建设工程规划许可证核发", "行政许可", "SPJ"),
    ("SCJ-001", "企业设立登记", "行政许可", "SCJ"),
    ("SCJ-002", "食品经营许可", "行政许可", "SCJ"),
    ("SCJ-003", "个体工商户变更登记", "行政许可", "SCJ"),
    ("ZJJ-001", "建筑工程施工许可证核发", "行政许可", "ZJJ"),
    ("ZJJ-002", "商品房预售许可", "行政许可", "ZJJ"),
    ("ZJJ-003", "公共租赁住房资格确认", "行政确认", "ZJJ"),
    ("ZRJ-001", "不动产首次登记", "行政确认", "ZRJ"),
    ("ZRJ-002", "不动产转移登记", "行政确认", "ZRJ"),
    ("ZRJ-003", "土地权属争议裁决", "行政裁决", "ZRJ"),
    ("SWJ-001", "增值税发票领用", "其他行政权力", "SWJ"),
    ("SWJ-002", "个人所得税综合所得汇算", "其他行政权力", "SWJ"),
    ("YBJ-001", "城乡居民医保参保登记", "公共服务", "YBJ"),
    ("YBJ-002", "异地就医备案", "公共服务", "YBJ"),
    ("YBJ-003", "医疗费用手工报销", "行政给付", "YBJ"),
    ("MZJ-001", "内地居民婚姻登记", "行政确认", "MZJ"),
    ("MZJ-002", "最低生活保障金给付", "行政给付", "MZJ"),
    ("MZJ-003", "困难残疾人生活补贴", "行政给付", "MZJ"),
    ("JTJ-001", "道路货物运输经营许可", "行政许可", "JTJ"),
    ("JTJ-002", "出租汽车驾驶员从业资格注册", "行政许可", "JTJ"),
    ("WJJ-001", "医疗机构执业登记", "行政许可", "WJJ"),
    ("WJJ-002", "出生医学证明办理", "公共服务", "WJJ"),
    ("GAJ-001", "居民身份证换领", "公共服务", "GAJ"),
    ("GAJ-002", "户口迁移", "行政确认", "GAJ"),
    ("GAJ-003", "出生登记", "行政确认", "GAJ"),
    ("GAJ-004", "见义勇为人员确认", "行政奖励", "GAJ"),
    ("RSJ-001", "城乡居民养老保险待遇申领", "行政给付", "RSJ"),
    ("RSJ-002", "社会保障卡申领", "公共服务", "RSJ"),
    ("RSJ-003", "工伤认定", "行政确认", "RSJ"),
    ("RSJ-004", "失业保险金申领", "行政给付", "RSJ"),
    ("GJJ-001", "住房公积金提取", "公共服务", "GJJ"),
    ("GJJ-002", "住房公积金个人住房贷款", "公共服务", "GJJ"),
    ("GJJ-003", "住房公积金缴存登记", "公共服务", "GJJ"),
]

# Items every town's 便民服务中心 handles.
TOWN_ITEMS = [
    ("001", "高龄老人补贴申领", "行政给付"),
    ("002", "城乡居民医保缴费", "公共服务"),
    ("003", "农村宅基地申请", "行政许可"),
    ("004", "临时救助申请", "行政给付"),
    ("005", "计划生育奖励扶助", "行政奖励"),
    ("006", "居住证明开具", "公共服务"),
]

# The label dictionary, version 2026.1: {level: [(code, text)]}. Placeholder
# texts until the city system's official dictionary is imported.
LABELS = {
    5: [
        ("501", "服务态度热情"),
        ("502", "办事效率高"),
        ("503", "一次办成"),
        ("504", "办事指南清楚准确"),
        ("505", "流程简便"),
        ("506", "环境整洁舒适"),
    ],
    4: [("401", "服务态度好"), ("402", "办理较快"), ("403", "指引清楚"), ("404", "流程规范"), ("405", "材料要求明确")],
    3: [("301", "等候时间稍长"), ("302", "指引不够清楚"), ("303", "流程有待简化"), ("304", "服务态度一般")],
    2: [
        ("201", "服务态度差"),
        ("202", "办理时间长"),
        ("203", "多次跑动"),
        ("204", "材料重复提交"),
        ("205", "一次性告知不到位"),
        ("206", "办事指南不准确"),
        ("207", "窗口无人或离岗"),
    ],
    1: [
        ("101", "服务态度恶劣"),
        ("102", "推诿扯皮"),
        ("103", "超时未办结"),
        ("104", "多次跑动仍未办成"),
        ("105", "系统操作不便"),
        ("106", "吃拿卡要"),
    ],
}
LABEL_VERSION = "2026.1"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌宇浩凯婷雪琳晨阳欣怡佳悦"

COMMENTS_GOOD = [
    "工作人员很耐心，一次就办好了",
    "效率很高，点赞",
    "指引很清楚，谢谢",
    "比以前方便多了",
    "服务热情周到",
    "材料清单一次说清楚，省了不少事",
    "{staff}业务熟练，讲解很细致",
]

# The problems citizens raise again and again, each with the labels a rater picks and the
# words they write (a unit has one or two of them). "{staff}" is the handling staff
# member's name and "{phone}" a phone number: personal data the analysis must never show.
PROBLEMS = {
    "queue": {
        "labels": {3: ["301"], 2: ["202"], 1: ["103"]},
        "comments": [
            "排队时间太长，等了两个多小时",
            "叫号系统太慢，排队一上午才办上",
            "排队的人多窗口少，等候时间太长",
            "排队时间长，建议增开窗口",
        ],
    },
    "materials": {
        "labels": {3: ["303"], 2: ["204", "205", "203"], 1: ["104"]},
        "comments": [
            "材料被退回三次，一次性告知不到位",
            "材料要求前后说法不一致，跑了三趟",
            "补交材料的要求没说清楚，来回跑了好几次",
            "同样的材料让重复提交，一次性告知不到位",
        ],
    },
    "attitude": {
        "labels": {3: ["304"], 2: ["201"], 1: ["101"]},
        "comments": [
            "窗口工作人员态度生硬，很不耐烦",
            "{staff}态度冷淡，问什么都说不知道",
            "服务态度差，说话很冲",
            "{staff}态度生硬，请回电{phone}",
        ],
    },
    "system": {
        "labels": {3: ["303"], 2: ["202"], 1: ["105"]},
        "comments": [
            "系统经常卡顿，办到一半又要重来",
            "网上申报系统操作复杂，材料上传不了",
            "系统故障，当天没有办成",
        ],
    },
    "guide": {
        "labels": {3: ["302"], 2: ["206", "205"], 1: ["102"]},
        "comments": [
            "办事指南与实际要求不一致",
            "网上说可以办，到现场又说不行",
            "指引不清楚，不知道该去哪个窗口",
        ],
    },
    "absent": {
        "labels": {3: ["301"], 2: ["207"], 1: ["102"]},
        "comments": ["窗口一直没人，等了很久", "午休时间窗口无人办理，白跑一趟"],
    },
}
COMMENTS_BASIC = [
    "等候时间稍长，其他都好",
    "指引可以再清楚一些",
    "材料清单希望能一次说清楚",
    "总体还行，就是排队有点久",
]

# Towns still without a system: they hand in paper forms (书面评价表格) every month, and
# the bureau imports them, which counts as their submission (报送).
PAPER_TOWNS = ("JCZ", "PGZ", "LDZ")
# Units that serve worse than the rest, and their problems; every other unit has one
# problem picked at random (rankings, 考核 and the analyses need something to show).
WEAK_UNITS = {"ZRJ": ("materials", "queue"), "SWJ": ("system", "queue"), "YXJD": ("attitude", "absent")}
STRONG_UNITS = ("GJJ", "YBJ", "GTJD", "SPJ")
