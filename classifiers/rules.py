"""A small, high-precision rule layer over the statistical model.

The rules encode the *taxonomy*, not the training sentences: explicit
statements that the agent is not at fault, survey complaints, mis-reply
corrections, and praise of the agent followed by a contrast ("…挺好的，就是…").
They do not pick a cause on their own (the model does); they

* veto automatic staff attribution (``no_auto_staff``) when the text
  exonerates the agent, complains about the survey or corrects a score;
* re-weight the model's probabilities (``staff_factor`` and ``boost``) so
  that the returned cause follows the taxonomy's hard-case rules;
* supply the evidence phrase when they fire.

Every pattern is written from general Chinese usage around the 11 cause
definitions (see docs/classifier.md); none is copied from the data.

The same lexicon drives :func:`keyword_baseline`, the rules-only baseline
in the benchmark.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# Who the customer may be talking about when they mean the agent.
_STAFF_REF = (
    r"(?:客服|人工|工作人员|服务人员|接线员|话务员|坐席|专员|柜员|业务员|员工|接电话的|"
    r"小姑娘|姑娘|小伙子|小伙|小哥|小妹|妹子|美女|帅哥|大姐|大哥|师傅|"
    r"那位|这位|那个人|那人|对方|他们|她们|他|她|你们的人|前台|老师|护士|司机|骑手|快递员|经理)"
)
# Verbs of reported speech: "他说不是他的问题" is the agent deflecting, not the
# customer exonerating him.
_REPORTED = re.compile(r"(?:说|称|讲|表示|声称|咬定|坚持|推说|认为|觉得是)[^，,。.!！?？]{0,3}$")

# "这不是我的问题" / "凭什么怪我": a denial, not an exoneration.
_NEGATED = re.compile(r"(?:不|没|并非|怎么|难道|凭什么|为什么|咋)$")

_EXONERATE = [
    # "跟你们客服没关系", "跟教练和你们都没关系", "跟你们的服务没关系" (the company as a
    # whole counts too).
    re.compile(
        rf"(?:跟|和|与|同)(?:[^，,。!！?？]{{0,6}}(?:和|跟|与|、))?(?:你们公司|你们|您们|贵司|贵公司)?(?:的)?(?:{_STAFF_REF}|你们|您们|贵司|贵公司|服务)"
        r"(?:们)?(?:的服务)?(?:都|也)?(?:没|没有|无|毫无|扯不上)(?:什么|啥|任何|半毛钱)?关系?"
    ),
    re.compile(rf"(?:不是|并不是|并非|不能算|算不上)(?:人家)?{_STAFF_REF}(?:们)?(?:的)?(?:问题|错|责任|原因|过错|锅)"),
    re.compile(rf"(?:不怪|别怪|不能怪|怪不了|怪不得|不赖|不关|不该怪|不应该怪)(?:人家)?{_STAFF_REF}"),
    re.compile(
        rf"{_STAFF_REF}(?:们)?(?:本人)?(?:其实|确实|真的|倒是|已经|也|都)*(?:没错|没有错|没做错|没毛病|尽力了|很尽力|"
        r"挺尽力|尽心尽力|也没办法|也没辙|也做不了主|做不了主|无能为力|也很无奈|也挺无奈|也是按规定|只是按规定|也是照章办事)"
    ),
    re.compile(rf"{_STAFF_REF}(?:的)?(?:服务|态度)?(?:没问题|没毛病|没得说|没话说|无可挑剔)"),
    # "不是她不帮我": the customer rules out unwillingness.
    re.compile(rf"不是{_STAFF_REF}(?:们)?(?:不想|不愿|不肯|不帮|不给|不管|故意)"),
    re.compile(
        rf"{_STAFF_REF}(?:们)?(?:说|讲|解释|做|处理|办)(?:的|得)(?:都|也|倒是|其实|挺|很|蛮|非常|特别)*"
        r"(?:对|没错|没问题|挺好|好|清楚|明白|到位)"
    ),
    # The customer blames themself.
    re.compile(
        r"(?:是我|我自己|怪我|都怪我|赖我|我本人)(?:自己)?(?:的)?(?:问题|错|原因|责任|疏忽|失误|搞错|弄错|看错|记错|"
        r"填错|输错|写错|听错|忘了|忘记|没注意|没看清|没看|没听清|没说清|没讲清|没说明白|没讲明白|没表达清楚|"
        r"操作错|操作失误|不小心|粗心|大意|马虎)"
    ),
    re.compile(r"我自己(?:把|给)[^，,。!！?？]{1,8}(?:错|丢|忘|删)"),
    re.compile(r"(?:自己|本人)(?:的)?(?:操作)?(?:失误|疏忽|粗心大意)"),
    re.compile(r"(?:怪我|怪我自己|我的错|我自己的错|怪不了别人|不怪别人|怨不得别人)(?:$|[,，。!！~])"),
    re.compile(rf"(?:不是|并不是|并非|没有)(?:对|针对|冲着)(?:人家)?{_STAFF_REF}(?:们)?(?:本人)?(?:有)?(?:意见|不满|有看法|发火)?"),
]

_PRAISE = re.compile(
    rf"{_STAFF_REF}(?:们)?(?:的)?(?:服务|态度|人)?(?:都|也|倒是|还|是|其实)?"
    r"(?:挺|很|蛮|非常|特别|十分|超|超级|真的|还算|算|比较|相当)?"
    r"(?:好|不错|耐心|热情|专业|客气|礼貌|温柔|可以|还行|到位|负责|认真|细心|有耐心|和气|友好|nice)"
)
# Praise words (not negated) in a text without any staff complaint: the agent is
# being praised, so an automatic staff booking would be absurd.
_PRAISE_WORD = re.compile(
    r"(?:有礼貌|礼貌|耐心|温柔|热情|专业|周到|贴心|客气|细心|负责|靠谱|给力|棒|点赞|赞一个|好评|五星|满分|满意|感谢|谢谢|"
    r"辛苦|照顾|体贴|和蔼|亲切|及时|到位|高效|麻利|利索|安心|放心|暖心)"
)
# "问题处理好了": the customer reports the job done. Not after reported speech
# ("说处理好了，结果…") and not when a negation or setback follows.
_DONE = re.compile(
    r"(?<![没未不])(?:(?:处理|解决|办|弄|搞|修|改)(?:得)?(?:好|完|妥|定)|找到|找回来|送回来|寄出来|退回来|到账|查清楚)了"
)
_DONE_SETBACK = re.compile(r"(?:没|不|又|结果|但|可是|还是|根本)")
_NEGATION_BEFORE = re.compile(r"(?:不|没|没有|缺乏|毫无|欠|不够|不太|别)[^，,。!！?？]{0,2}$")
_CONTRAST = re.compile(r"(?:就是|但是|但|可是|不过|只是|然而|可惜|问题是|关键是|主要是)")

_MISREPLY = re.compile(
    r"(?:按错|点错|回错|输错|选错|评错|打错分|填错分|打错了?(?:数字|分数|号)|手滑|手抖|误触|误按|误点|"
    r"不小心(?:按|点|回|打|选)|本来(?:想|要|是想)(?:打|回|按|给|选|评)|"
    r"(?:应该|本来|其实)(?:是)?(?:想)?(?:回|打|给|按|选|评)(?:个)?[0-9一二三四五六七八九十]+(?:分|星)?|"
    r"应该是[0-9]+(?:分|星)?|"
    r"(?:改成|改为|更正为|更正成)(?:[0-9一二三四五六七八九十]|满意|好评|满分|五星)|"
    r"刚才(?:那个|那条|的)?(?:回复|评分|分数)?(?:不算|作废|错了))"
)
# "给我办错了 / 帮我填错" is the agent mis-operating, not a mis-reply.
_MIS_OPERATE = re.compile(r"(?:给我|帮我|把我|替我)[^，,。]{0,4}(?:办错|填错|弄错|搞错|输错|选错|点错)")

_SURVEY_NOUN = r"(?:短信|评价|调查|问卷|打分|评分|回访|满意度|链接|这条信息|这个信息|测评)"
_SURVEY_COMPLAINT = (
    r"(?:太晚|晚了|好晚|很晚|这么晚|才来|才到|才收到|才发|隔了|过了好|好几天|几天后|第二天|"
    r"烦|骚扰|太多|好多|这么多|天天|每天|每次|老是|总是|一直发|频繁|"
    r"看不懂|没看懂|搞不懂|不清楚|不明白|没说清|反了|顺序|方向|哪个是|几是|几分是|几代表|到底是)"
)
_SURVEY = [
    re.compile(rf"{_SURVEY_NOUN}[^。!！?？]{{0,12}}{_SURVEY_COMPLAINT}"),
    re.compile(rf"{_SURVEY_COMPLAINT}[^。!！?？]{{0,8}}{_SURVEY_NOUN}"),
    re.compile(r"(?:别|不要|不用|少)再?(?:给我)?发(?:了|这种|这些|短信|评价)"),
    re.compile(r"(?:回|按|打|选)几(?:是|分是|代表|才是)"),
    re.compile(r"(?:分数|分|评分|星)越(?:高|低|多|少)越(?:好|满意|差)"),
]

# Explicit complaints about what the agent did (taxonomy "typical wording"
# generalised). Used by the keyword baseline and as the evidence of last resort.
_DEGREE = r"(?:很|太|特别|非常|极其|极|超|超级|真|也|还|就|更|实在|相当|巨|贼|忒|好){0,2}"
STAFF_CUES = {
    "staff.attitude": re.compile(
        rf"(?:(?:态度|口气|语气){_DEGREE}(?:差|恶劣|不好|烂|冷|傲慢|生硬|横|凶|冲|恶心|差劲)|不耐烦|没耐心|没有耐心|"
        r"吼我|吼人|大吼|骂我|骂人|嘲笑|讽刺|阴阳怪气|冷冰冰|冷漠|爱答不理|爱理不理|爱搭不理|敷衍|应付我|打断|抢话|"
        r"挂(?:了)?我(?:的)?电话|挂我|直接挂了|(?<!自动)挂断了?我|顶嘴|没礼貌|不礼貌|凶巴巴|凶我|冷嘲热讽|嘲讽|"
        r"翻白眼|不搭理|不理我|没理我|故意把我转|(?:跟|和)我(?:吵|争|抬杠)|吵起来|抬杠|"
        rf"{_DEGREE}(?:傲慢|嚣张|蛮横|不客气|不友好|没素质|凶)(?:了|的|得很|死了)?(?:$|[,，。!！~]))"
    ),
    "staff.competence": re.compile(
        r"(?:一问三不知|瞎说|乱说|胡说|乱讲|瞎讲|瞎指挥|乱指导|瞎指导|胡乱|业务不熟|业务不精|不熟悉业务|不专业|业务能力|说错|讲错|答错|说得不对|说的不对|信息不对|前后矛盾|"
        r"说法不一|自相矛盾|解释不清|讲不清|说不清楚|说不明白|讲不明白|答非所问|办错|给我弄错|给我搞错|帮我弄错|"
        r"帮我搞错|操作错|乱操作|什么都不懂|啥都不懂|啥也不懂|什么都不知道|啥都不知道|一点都不懂|不懂装懂|"
        r"自己(?:都|也)(?:不懂|不知道|不清楚|搞不清|没搞懂|不明白))"
    ),
    "staff.resolution": re.compile(
        r"(?:没回电|不回电|没有回电|没回电话|没给我回|不给我回|没回复我|"
        # a personal promise of an agent action (call back, follow up, register...) that was broken;
        # company commitments (delivery, refund deadlines) are company.policy (taxonomy rule 4)
        r"(?:说好|答应)(?!的)[^。!！?？]{0,8}(?:回电|回个电话|回电话|回复|回我|联系我|打给我|打回来|跟进|登记|反馈|上报|派单|"
        r"帮我|给我(?:查|催|申请|处理|反馈|登记|办))[^。!！?？]{0,14}(?:没|不|也没|还没|一直没|结果没|根本没)|"
        r"没跟进|不跟进|放我鸽子|推来推去|推三阻四|踢皮球|推脱|推卸|不给(?:我)?处理|拖着不办|不作为|没提醒我|没告诉我|也不提醒)"
    ),
}
# The agent told the customer something about a product, fee, rule or procedure that later
# proved false ("客服跟我讲充满了不计费，结果占位费照样扣了"): wrong information is
# staff.competence even when the outcome is a charge or a rule (taxonomy: "wrong or
# contradictory information"). Singular references only: "他们说" is usually the company.
_AGENT_ONE = (
    r"(?:客服|人工|工作人员|服务人员|接线员|话务员|坐席|专员|柜员|业务员|接电话的|小姑娘|姑娘|小伙子|小伙|小哥|"
    r"小妹|妹子|美女|帅哥|大姐|大哥|师傅|那位|这位|对方|经理|他|她|GM|gm)"
)
_TOLD = re.compile(
    rf"{_AGENT_ONE}(?:[0-9]{{0,6}}号)?(?:当时|之前|当初|上次|电话里|一开始|开始|还|都|明明|亲口|信誓旦旦地?|再三|一再|跟我|和我|"
    r"给我|对我|向我)*(?:说的是|讲的是|说|讲|告诉我|保证|打包票|承诺|答复|回复|解释|确认)"
)
_CONTRADICTED = re.compile(
    r"(?:结果|后来才|才知道|才发现|才晓得|实际上|事实上|根本不是|压根不是|压根没|改口|到头来|哪知道|谁知道|"
    r"没想到|原来是|明明写|明明是|合同(?:里|上)(?:明明|写的是|写着|写了|根本|可没|没)|却要|却不|却没|却是|照样|照扣|还是扣|还是收|提示不)"
)
# The agent's own promise of an action (call back, follow up) broken is staff.resolution.
_OWN_ACTION = re.compile(
    r"(?:回电|回个电话|回电话|回复我|回我|联系我|打给我|打回来|打过来|跟进|回访|帮我|替我|给我(?:查|催|申请|处理|办|退|登记|反馈|补|安排|发)|"
    r"^[“\"']?(?:她|他)?(?:会|好|马上|立刻|尽快|一定|亲自|已经|稍后|晚点|待会|回头|记下|记录|可以可以|好的|行|没问题)|"
    r"派人|派单|安排|登记|记下|提交|协调|盯着|转给|上报|处理)"
)
# What the agent said is a rule, a wait or a referral: the complaint is the company's.
_SAID_COMPANY = re.compile(r"(?:^[的得]|规定|合同|条款|政策|制度|要等|得等|审核|转到|转给|得转|找[^，,。]{0,4}部门)")
_TOLD_BY_ME = re.compile(r"(?:我|俺)(?:也|都|就|还)?(?:跟|和|对|向|问|给)$")


def wrong_info(text: str) -> str:
    """The agent's statement and the contradiction that followed, or ``""``."""
    for m in _TOLD.finditer(text):
        if _TOLD_BY_ME.search(text[max(0, m.start() - 3) : m.start()]):
            continue
        tail = text[m.end() : m.end() + 45]
        c = _CONTRADICTED.search(tail)
        if c is None:
            continue
        said = tail[: c.start()]
        if _OWN_ACTION.search(said) or _SAID_COMPANY.search(said):
            continue
        if _SYSTEM_FAULT.search(tail[c.start() :]):
            continue
        return text[m.start() : m.end() + c.end()]
    return ""


# A system fault named in the text ("后台出故障了查不到", "电脑一直转圈"): whether the
# agent could have done more is then a question for the customer, not a booking.
_SYSTEM_FAULT = re.compile(
    r"(?:系统|后台|电脑|网站|网页|服务器|app|APP|页面|平台|机器)[^，,。!！?？]{0,6}"
    r"(?:故障|崩|瘫|维护|升级|卡死|卡住|卡了|转圈|出错|报错|bug|BUG|异常|宕机|出问题|有问题|坏了|调不出|打不开)"
)
# The agent conveyed a rule ("客服说合同写得清清楚楚", "她说这是公司规定"): the complaint
# is most likely about the rule; if it is about the agent, the customer can say so.
_RULE_CITED = re.compile(
    r"(?:说|讲|告诉我|解释|表示)[^，,。!！?？]{0,6}(?:规定|合同|条款|政策|制度|标准|协议|规则|流程)"
)
# The customer says they cannot tell whose fault it is (taxonomy rule 2).
_UNCERTAIN = re.compile(
    r"(?:不知道|说不清|说不上来|搞不清|也不懂|弄不明白)[^，,。!！?？]{0,6}(?:该怪谁|怪谁|该找谁|找谁|谁的(?:问题|责任|错)|"
    r"哪(?:一步|里|儿|个环节)出了?(?:问题|错))"
)
# Waiting and transfers are the company's staffing and routing (taxonomy rule 3);
# only an explicit staff cue ("故意把我转走") makes them the agent's doing.
_WAIT_TRANSFER = re.compile(
    r"(?:转来转去|来回转|转了[^，,。!！?？]{0,3}(?:次|遍|个|道)|又转回|转到另一个|排队|占线|打不进|等了[^，,。!！?？]{0,6}(?:分钟|小时|钟头|半天)|"
    r"等(?:太|好|很)久|才接通|接通太慢)"
)
# A bot or the IVR is not an agent: staff cues do not count in such a text.
_BOT_CONTEXT = re.compile(r"(?:智能客服|机器人|自动语音|语音导航|语音菜单|AI客服|ai客服|人工智能|系统自动|自动挂)")

NON_STAFF_CUES = {
    "company.policy": re.compile(
        r"(?:规定|政策|制度|流程太|手续|必须(?:去|到|本人)|营业厅|本人到场|违约金|合同|条款|退订|销户|注销|"
        r"实名|身份验证|认证|不给退|不能退|退款要|规则)"
    ),
    "company.product": re.compile(
        r"(?:太贵|贵了|价格|资费|套餐|扣费|乱扣|乱收费|收费|账单|月租|话费|流量不够|流量|优惠|活动|质量|产品|利息|年费|手续费)"
    ),
    "company.system": re.compile(
        r"(?:等了|排队|接通|打不通|占线|转了[^，,。]{0,3}(?:次|遍|个)|转来转去|一直转|来回转|语音菜单|按键|"
        r"系统[^，,。]{0,3}(?:故障|问题|崩|卡|慢|升级|维护|出错)|app|APP|闪退|登不上|登录不了|网页|处理时间|要等)"
    ),
    "company.network": re.compile(r"(?:信号|网络|网速|断网|掉线|没网|宽带|掉话|通话中断|基站|wifi|WiFi|覆盖)"),
    "customer.other": re.compile(r"(?:心情不好|随便回|随便按|随便打|跟你们没关系|和你们没关系|与你们无关|测试|哈哈)"),
    "none": re.compile(r"(?:(?<![不没])满意|很好|挺好|(?<!很)不错|谢谢|感谢|辛苦|点赞|没什么|没事|没有不满|(?<!不)好评)"),
}


@dataclass
class RuleSignals:
    """What the rule layer found in one (prepared) text."""

    exonerate: str = ""  # explicit "not the agent's fault" phrase
    praise_contrast: str = ""  # praise of the agent followed by 就是/但是…
    misreply: str = ""
    survey: str = ""
    staff_cue: str = ""  # explicit staff complaint phrase
    staff_cue_cause: str = ""
    praise: str = ""  # non-negated praise word, no staff complaint, no contrast
    system_fault: str = ""  # a system outage, a wait or a transfer is named
    rule_cited: str = ""  # the agent is reported citing a rule or contract
    uncertain: str = ""  # the customer cannot tell whose fault it is
    boosts: set = field(default_factory=set)  # labels the rules make more likely

    @property
    def no_auto_staff(self) -> bool:
        """True when the agent must not be blamed without asking."""
        return bool(
            self.exonerate or self.misreply or self.survey or self.praise or self.uncertain
            or ((self.praise_contrast or self.system_fault or self.rule_cited) and not self.staff_cue)
        )

    @property
    def evidence(self) -> str:
        return self.exonerate or self.misreply or self.survey or self.praise_contrast or self.praise


def _first(patterns, text: str) -> re.Match | None:
    best = None
    for p in patterns:
        m = p.search(text)
        if m and (best is None or m.start() < best.start()):
            best = m
    return best


def _exoneration(text: str) -> str:
    for p in _EXONERATE:
        for m in p.finditer(text):
            before = text[max(0, m.start() - 6) : m.start()]
            if _REPORTED.search(before) or _NEGATED.search(before):
                continue
            return m.group(0)
    return ""


# "我也说不清楚" / "我都搞不懂": the customer is the subject, not the agent.
_FIRST_PERSON = re.compile(r"(?<![给帮把替让叫对跟和向被])我(?:也|都|自己|还|就|真|实在|是)?$")


def _staff_cue(text: str) -> tuple[str, str]:
    for cause, pat in STAFF_CUES.items():
        for m in pat.finditer(text):
            if _FIRST_PERSON.search(text[max(0, m.start() - 4) : m.start()]):
                continue
            return m.group(0), cause
    return "", ""


def detect(text: str) -> RuleSignals:
    """Run the rule layer on a prepared (normalised, redacted) text."""
    s = RuleSignals()
    s.exonerate = _exoneration(text)
    m = _MISREPLY.search(text)
    if m and not _MIS_OPERATE.search(text):
        s.misreply = m.group(0)
    m = _first(_SURVEY, text)
    if m:
        s.survey = m.group(0)
    bot = _BOT_CONTEXT.search(text) is not None
    if not bot:
        s.staff_cue, s.staff_cue_cause = _staff_cue(text)
    m = _PRAISE.search(text)
    if m:
        c = _CONTRAST.search(text, m.end())
        if c:
            s.praise_contrast = text[m.start() : c.end()]
            s.staff_cue, s.staff_cue_cause = ("", "") if bot else _staff_cue(text[c.end() :])
    if not s.staff_cue and not bot:
        wrong = wrong_info(text)
        if wrong:
            s.staff_cue, s.staff_cue_cause = wrong, "staff.competence"
            s.boosts.add("staff.competence")
    if not s.staff_cue and not s.praise_contrast:
        for m in _PRAISE_WORD.finditer(text):
            if _NEGATION_BEFORE.search(text[max(0, m.start() - 4) : m.start()]):
                continue
            if _CONTRAST.search(text, m.end()):
                break
            s.praise = m.group(0)
            break
    if not s.staff_cue and not s.praise and not s.praise_contrast:
        m = _DONE.search(text)
        if (
            m
            and not _REPORTED.search(text[max(0, m.start() - 6) : m.start()])
            and not _NEGATION_BEFORE.search(text[max(0, m.start() - 4) : m.start()])
            and not _DONE_SETBACK.search(text, m.end())
        ):
            s.praise = m.group(0)
    m = _SYSTEM_FAULT.search(text) or _WAIT_TRANSFER.search(text)
    if m:
        s.system_fault = m.group(0)
    m = _RULE_CITED.search(text)
    if m:
        s.rule_cited = m.group(0)
    m = _UNCERTAIN.search(text)
    if m:
        s.uncertain = m.group(0)
        s.boosts.add("unclear")
    if bot:
        s.boosts.add("company.system")
    if s.misreply:
        s.boosts.add("customer.misreply")
    if s.survey:
        s.boosts.add("survey.issue")
    return s


def keyword_baseline(text: str) -> tuple[str, str]:
    """Rules-only classifier used as the benchmark's first row.

    Returns ``(label, evidence)`` where label is one of the 11 causes or
    ``"unclear"`` when no cue matches.
    """
    s = detect(text)
    if s.misreply:
        return "customer.misreply", s.misreply
    if s.survey:
        return "survey.issue", s.survey
    if s.staff_cue and not s.exonerate:
        return s.staff_cue_cause, s.staff_cue
    for cause, pat in NON_STAFF_CUES.items():
        m = pat.search(text)
        if m:
            return cause, m.group(0)
    return "unclear", ""
