// The semantic component's word lists (see lexicon.h). Category paths follow
// the demo catalogue of scripts/gen_demo_data.py; a path missing from the
// catalogue at hand falls back to its top level, then is dropped.
#include "lexicon.h"

#include <algorithm>

namespace tailor::semantic::detail {
namespace {

// Longest match wins (intent.cc), so "电竞耳机" beats "耳机" and "手机壳" beats "手机".
constexpr CategoryTerms kCategoryTerms[] = {
    // running
    {"跑步|running|jogging|慢跑|马拉松|marathon|runner|runners", "running", true},
    {"跑鞋|跑步鞋|running shoes|running shoe|running trainers", "running/shoes"},
    {"跑步t恤|跑步短裤|跑步服|running shirt|running t-shirt|running shorts|running tee", "running/apparel"},
    {"运动手表|gps手表|跑步手表|手表|智能手表|running watch|gps watch|sports watch|smartwatch|smart watch|watch",
     "running/watches"},
    {"跑步腰包|腰包|压缩袜|running belt|compression socks", "running/accessories"},
    // fitness
    {"健身|fitness|gym|workout|锻炼|健身房", "fitness", true},
    {"瑜伽|yoga|瑜伽垫|yoga mat|瑜伽裤|leggings|普拉提|pilates", "fitness/yoga"},
    {"哑铃|壶铃|dumbbell|dumbbells|kettlebell|力量训练|strength training", "fitness/strength"},
    {"弹力带|泡沫轴|跳绳|resistance band|resistance bands|foam roller|jump rope", "fitness/accessories"},
    // outdoor
    {"户外|露营|outdoor|outdoors|camping|野营", "outdoor", true},
    {"帐篷|睡袋|tent|tents|sleeping bag", "outdoor/camping"},
    {"登山|徒步|hiking|trekking|登山包|徒步鞋|登山鞋|hiking boots|hiking backpack", "outdoor/hiking"},
    {"头灯|炉头|露营椅|headlamp|camping stove|camp chair", "outdoor/gear"},
    // phones & audio
    {"数码|手机耳机", "phones-audio", true},
    {"耳机|蓝牙耳机|无线耳机|降噪耳机|headphones|headphone|bluetooth headphones|wireless headphones",
     "phones-audio/headphones|phones-audio/earbuds"},
    {"earbuds|earphones|入耳式耳机|入耳式|真无线|airpods|tws", "phones-audio/earbuds"},
    {"头戴式|头戴式耳机|over-ear|over ear", "phones-audio/headphones"},
    {"手机|智能手机|5g手机|smartphone|smartphones|phone|phones|mobile phone|cell phone|iphone|安卓手机",
     "phones-audio/phones"},
    {"音箱|音响|蓝牙音箱|speaker|speakers|bluetooth speaker", "phones-audio/speakers"},
    {"充电宝|充电器|手机壳|移动电源|power bank|charger|phone case", "phones-audio/accessories"},
    // computers
    {"电脑|computer|computers|办公设备", "computers", true},
    {"笔记本|笔记本电脑|轻薄本|游戏本|laptop|laptops|notebook computer|ultrabook|macbook", "computers/laptops"},
    {"键盘|鼠标|扩展坞|keyboard|mouse|dock|usb-c dock|docking station", "computers/peripherals"},
    {"显示器|monitor|monitors|4k显示器", "computers/monitors"},
    {"平板|平板电脑|tablet|tablets|ipad", "computers/tablets"},
    {"硬盘|固态硬盘|移动硬盘|ssd|hard drive|portable ssd", "computers/storage"},
    // smart home
    {"智能家居|smart home|全屋智能", "smart-home", true},
    {"智能音箱|smart speaker|智能中控|smart hub", "smart-home/hubs"},
    {"扫地机器人|扫地机|robot vacuum|vacuum|吸尘器", "smart-home/cleaning"},
    {"智能灯泡|灯泡|smart bulb|light bulb|bulb", "smart-home/lighting"},
    {"门锁|智能门锁|摄像头|监控|smart lock|door lock|security camera", "smart-home/security"},
    {"空气净化器|净化器|air purifier|purifier", "smart-home/air"},
    {"智能插座|插座|smart plug", "smart-home/power"},
    // kitchen
    {"厨房|kitchen|cooking|烹饪|做饭", "kitchen", true},
    {"空气炸锅|电饭煲|厨师机|破壁机|料理机|air fryer|rice cooker|stand mixer|blender", "kitchen/appliances"},
    {"刀具|菜刀|铸铁锅|炒锅|锅|knife|knives|knife set|skillet|wok|frying pan|cookware", "kitchen/cookware"},
    // coffee & tea
    {"咖啡|茶|coffee|tea|饮品", "coffee-tea", true},
    {"咖啡豆|挂耳|挂耳咖啡|coffee beans|drip coffee", "coffee-tea/coffee"},
    {"磨豆机|手冲壶|咖啡机|grinder|coffee grinder|pour-over|kettle|espresso machine|coffee machine",
     "coffee-tea/equipment"},
    {"绿茶|乌龙|乌龙茶|茶叶|茶具|green tea|oolong|tea set", "coffee-tea/tea"},
    // books
    {"书|图书|书籍|小说|book|books|novel|novels|reading", "books"},
    // beauty
    {"美妆|化妆品|beauty|cosmetics", "beauty", true},
    {"护肤|护肤品|skincare|skin care|精华|精华液|面霜|防晒|防晒霜|洁面|洗面奶|面膜|眼霜|serum|moisturiser|moisturizer|sunscreen|cleanser|face mask|"
     "eye cream",
     "beauty/skincare"},
    {"口红|唇膏|彩妆|lipstick|makeup", "beauty/makeup"},
    // baby & kids
    {"母婴|宝宝|婴儿|儿童|孩子|baby|kids|children|toddler", "baby-kids", true},
    {"纸尿裤|尿不湿|nappies|diapers|diaper", "baby-kids/care"},
    {"推车|婴儿推车|安全座椅|儿童安全座椅|stroller|pram|car seat", "baby-kids/travel"},
    {"奶瓶|baby bottle", "baby-kids/feeding"},
    {"玩具|益智玩具|toy|toys", "baby-kids/toys"},
    {"连体衣|童装|romper|baby clothes", "baby-kids/clothing"},
    // gaming
    {"游戏|电竞|gaming|game|games|gamer", "gaming", true},
    {"游戏机|游戏主机|主机|console|consoles|playstation|xbox", "gaming/consoles"},
    {"手柄|游戏手柄|controller|gamepad", "gaming/controllers"},
    {"电竞耳机|电竞鼠标|电竞键盘|gaming headset|gaming mouse|gaming keyboard", "gaming/peripherals"},
    {"video game|video games|开放世界", "gaming/games"},
    {"电竞椅|游戏椅|gaming chair", "gaming/furniture"},
    // fashion
    {"服装|衣服|服饰|fashion|clothing|clothes|穿搭", "fashion", true},
    {"t恤|衬衫|上衣|shirt|shirts|t-shirt|tee", "fashion/tops"},
    {"牛仔裤|裤子|jeans|trousers|pants", "fashion/bottoms"},
    {"连衣裙|裙子|dress|dresses|skirt", "fashion/dresses"},
    {"羽绒服|外套|夹克|jacket|coat|down jacket|parka", "fashion/outerwear"},
    {"板鞋|鞋|鞋子|运动鞋|sneakers|shoes", "fashion/shoes"},
    {"托特包|包包|手提包|tote|tote bag|handbag", "fashion/bags"},
    // travel
    {"旅行|旅游|出差|travel|trip|travelling|traveling", "travel", true},
    {"行李箱|登机箱|拉杆箱|suitcase|luggage|carry-on", "travel/luggage"},
    {"旅行背包|背包|双肩包|backpack|travel backpack", "travel/bags"},
    {"u型枕|颈枕|neck pillow|travel pillow|眼罩", "travel/comfort"},
    {"收纳袋|护照包|packing cubes|passport holder|organiser|organizer", "travel/organisers"},
    {"转换插头|转换器|travel adapter|plug adapter", "travel/electronics"},
};

constexpr TermGroup kColours[] = {
    {"black", "黑色|black"},
    {"white", "白色|white"},
    {"grey", "灰色|grey|gray"},
    {"navy", "藏青|藏青色|海军蓝|navy"},
    {"red", "红色|red"},
    {"blue", "蓝色|blue"},
    {"green", "绿色|green"},
    {"pink", "粉色|粉红|粉红色|pink"},
    {"beige", "米色|米白|米白色|beige"},
    {"silver", "银色|silver"},
    {"gold", "金色|gold|golden"},
    {"yellow", "黄色|yellow"},
    {"purple", "紫色|purple"},
    {"orange", "橙色|orange"},
    {"brown", "棕色|咖啡色|brown"},
};

// Claims are checked as groups: the copy's spelling need not match the facts'
// ("waterproof" is grounded by 防水 in a Chinese description).
constexpr TermGroup kClaims[] = {
    {"waterproof", "防水|防泼水|防雨|waterproof|water-resistant|water resistant|water-repellent|splash"},
    {"wireless", "无线|蓝牙|wireless|bluetooth|cordless"},
    {"noise cancelling", "降噪|noise-cancelling|noise cancelling|noise-canceling|noise canceling|anc"},
    {"fast charging", "快充|fast charging|fast-charging|fast charge|fast-charge"},
    {"organic", "有机|organic"},
    {"handmade", "手工|手作|handmade|hand-made"},
    {"imported", "进口|imported"},
    {"eco-friendly", "环保|eco-friendly|eco friendly"},
    {"breathable", "透气|breathable"},
    {"warranty", "保修|质保|保固|warranty|guarantee|guaranteed"},
    {"free shipping", "包邮|免运费|免邮|free shipping|free delivery"},
    {"gift", "赠品|赠送|买一送一|送礼品|free gift|bonus gift|buy one get one|bogo"},
    {"discount",
     "折扣|打折|优惠|特价|促销|秒杀|限时|清仓|降价|满减|优惠券|折起|discount|discounts|% off|sale|coupon|promo|"
     "promotion|deal|deals|limited time|limited-time|clearance|half price|half-price"},
    {"limited edition", "限量|限定|limited edition|limited-edition"},
    {"best-seller", "销量第一|爆款|热销|畅销|好评如潮|best-seller|bestseller|best seller|best-selling|#1|top-rated|"
                    "top rated|award-winning|award winning|获奖"},
    {"certified", "医用|认证|专利|certified|clinically|patented|dermatologist"},
    {"scarcity", "仅剩|最后一天|last chance|only a few left|selling fast|售罄"},
};

constexpr TermGroup kBrands[] = {
    // The demo catalogue's brands (zh|en). Chinese names that are everyday
    // words (旅途 "journey", 极光 "aurora", 小树 "sapling") are left out: a copy
    // saying 旅途愉快 is not naming the brand Roamly.
    {"SwiftRun", "迅跑|swiftrun"}, {"Windrunner", "风行者|windrunner"}, {"Kestrel", "kestrel"},
    {"Stride Lab", "stride lab"}, {"Featherfoot", "featherfoot"}, {"Flexa", "柔力|flexa"},
    {"IronDen", "铁馆|ironden"}, {"Lotus Flow", "lotus flow"}, {"PowerPeak", "动力派|powerpeak"},
    {"Ridgeline", "ridgeline"}, {"Northvale", "北境|northvale"}, {"Campfire Co.", "campfire co"},
    {"Far Peak", "far peak"}, {"Sonora", "声悦|sonora"}, {"Aurial", "听澜|aurial"},
    {"Aurora", "aurora"}, {"Mili", "米立|mili"}, {"Raystone", "锐思|raystone"},
    {"CloudSail", "云帆|cloudsail"}, {"GeekForge", "极客坊|geekforge"}, {"Arkline", "arkline"},
    {"Homely", "homely"}, {"NestCloud", "云居|nestcloud"}, {"Lumio", "lumio"},
    {"SafeNest", "安途|safenest"}, {"ChefMate", "chefmate"}, {"Hearth & Co.", "hearth & co"},
    {"Forgewell", "forgewell"}, {"Little Stove", "little stove"}, {"Morning Roast", "晨焙|morning roast"},
    {"Camellia Hill", "camellia hill"}, {"BeanCraft", "豆匠|beancraft"}, {"Cloud Mist", "cloud mist"},
    {"Northbank Press", "北岸出版社|northbank press"}, {"Bluestone Books", "青石书局|bluestone books"},
    {"Lighthouse Media", "灯塔文化|lighthouse media"}, {"Far Sail Publishing", "远帆出版|far sail publishing"},
    {"AquaVeil", "水漾|aquaveil"}, {"Petal Lab", "花研|petal lab"}, {"Bare Skin", "素肌|bare skin"},
    {"Glowe", "光采|glowe"}, {"Bebelle", "贝乐|bebelle"}, {"Little Tree", "little tree"},
    {"Cosy Cub", "cosy cub"}, {"Kiddo", "kiddo"}, {"Blaze", "赤焰|blaze"},
    {"Pixel Forge", "像素坊|pixel forge"}, {"Thunderbolt Gaming", "thunderbolt gaming"},
    {"WarHawk", "战鹰|warhawk"}, {"Plainwear", "plainwear"}, {"Southside", "southside"},
    {"Wardrobe Lab", "衣橱研究所|wardrobe lab"}, {"Greenfield", "greenfield"}, {"Voyager", "voyager"},
    {"Roamly", "roamly"}, {"Wanderwell", "wanderwell"}, {"FarTrip", "fartrip"},
    // Famous brands a small model likes to borrow.
    {"Apple", "苹果|apple|iphone|ipad|macbook|airpods"}, {"Huawei", "华为|huawei"}, {"Xiaomi", "小米|xiaomi"},
    {"Samsung", "三星|samsung"}, {"Sony", "索尼|sony"}, {"Nike", "耐克|nike"}, {"Adidas", "阿迪达斯|adidas"},
    {"Lenovo", "联想|lenovo"}, {"Dyson", "戴森|dyson"}, {"Philips", "飞利浦|philips"}, {"Bose", "bose"},
    {"OPPO", "oppo"}, {"vivo", "vivo"}, {"Honor", "荣耀|honor"}, {"Midea", "美的|midea"}, {"Haier", "海尔|haier"},
    {"Gree", "格力|gree"}, {"Dell", "戴尔|dell"}, {"Lululemon", "lululemon"}, {"Uniqlo", "优衣库|uniqlo"},
    {"Amazon", "亚马逊|amazon"}, {"Nintendo", "任天堂|nintendo"}, {"Logitech", "罗技|logitech"},
};

// Translations only (see lexicon.h), mostly the demo catalogue's kinds
// (scripts/gen_demo_data.py names each in zh and en) and the ways headphones
// sit. A broader word may hold a narrower one (键盘 / 机械键盘): excluding
// the broad one then excludes both, never the other way round.
constexpr TermGroup kKinds[] = {
    // phones & audio
    {"over-ear", "头戴式|头戴式耳机|头戴耳机|over-ear|over ear|over-the-ear|around-ear"},
    {"in-ear", "入耳式|入耳式耳机|in-ear|in ear"},
    {"open-fit", "半入耳式|open-fit|open fit"},
    {"headphones", "耳机|headphones|headphone|earphones|earphone"},
    {"gaming headset", "电竞耳机|游戏耳机|gaming headset"},
    {"wired", "有线|wired"},
    {"foldable", "折叠|可折叠|foldable|folding"},
    {"speaker", "音箱|音响|speaker"},
    {"smartphone", "智能手机|smartphone"},
    {"phone case", "手机壳|phone case"},
    {"power bank", "充电宝|移动电源|power bank"},
    {"charger", "充电器|charger"},
    // computers & gaming
    {"laptop", "笔记本电脑|laptop|notebook computer"},
    {"gaming laptop", "游戏本|游戏笔记本|gaming laptop"},
    {"tablet", "平板电脑|平板|tablet"},
    {"monitor", "显示器|monitor"},
    {"keyboard", "键盘|keyboard"},
    {"mechanical keyboard", "机械键盘|mechanical keyboard"},
    {"mouse", "鼠标|mouse|mice"},
    {"console", "游戏主机|游戏机|console"},
    {"controller", "游戏手柄|手柄|controller|gamepad"},
    // materials
    {"cotton", "纯棉|全棉|cotton"},
    {"leather", "真皮|皮革|leather"},
    {"plastic", "塑料|plastic"},
    {"stainless steel", "不锈钢|stainless steel|stainless-steel"},
    {"cast iron", "铸铁|cast iron|cast-iron"},
    {"non-stick", "不粘|non-stick|nonstick"},
    {"memory foam", "记忆棉|memory foam|memory-foam"},
    // other kinds shoppers rule out by name
    {"tent", "帐篷|tent"},
    {"sleeping bag", "睡袋|sleeping bag"},
    {"backpack", "背包|双肩包|backpack"},
    {"suitcase", "行李箱|拉杆箱|suitcase|luggage"},
    {"carry-on", "登机箱|carry-on"},
    {"t-shirt", "t恤|t-shirt|tee"},
    {"jeans", "牛仔裤|jeans"},
    {"dress", "连衣裙|dress|dresses"},
    {"down jacket", "羽绒服|down jacket|puffer jacket"},
    {"sneakers", "板鞋|运动鞋|sneakers"},
    {"running shoes", "跑鞋|跑步鞋|running shoes|running shoe"},
    {"dumbbell", "哑铃|dumbbell"},
    {"kettlebell", "壶铃|kettlebell"},
    {"yoga mat", "瑜伽垫|yoga mat"},
    {"coffee beans", "咖啡豆|coffee beans"},
    {"green tea", "绿茶|green tea"},
    {"oolong", "乌龙茶|乌龙|oolong"},
    {"air fryer", "空气炸锅|air fryer"},
    {"robot vacuum", "扫地机器人|扫地机|robot vacuum"},
    {"nappies", "纸尿裤|尿不湿|nappies|nappy|diapers|diaper"},
    {"stroller", "婴儿推车|推车|stroller|pram"},
};

constexpr AttributeTerms kAttributes[] = {
    {"高质量|优质|高品质|品质好|质量好|做工好|high quality|high-quality|good quality|top quality|well-made|well made",
     "quality", "high"},
    {"便宜|实惠|性价比|平价|划算|不要太贵|别太贵|不太贵|cheap|affordable|budget|inexpensive|low cost|low-cost|value for money", "price_level",
     "budget"},
    {"高端|奢华|旗舰|luxury|high-end|high end|flagship|premium", "price_level", "premium"},
    {"轻薄|轻便|轻量|轻巧|超轻|lightweight|light-weight|ultralight|ultra-light|thin and light", "weight", "light"},
    {"便携|portable|compact|小巧", "portable", "true"},
    {"无线|蓝牙|wireless|bluetooth|cordless", "wireless", "true"},
    {"降噪|noise cancelling|noise-cancelling|noise canceling|noise-canceling|anc", "noise_cancelling", "true"},
    {"防水|waterproof|water resistant|water-resistant", "waterproof", "true"},
    {"快充|fast charging|fast-charging", "fast_charging", "true"},
    {"男款|男士|男式|男生|men's|mens|for men", "gender", "men"},
    {"女款|女士|女式|女生|women's|womens|for women", "gender", "women"},
    {"旅行|旅游|出差|for travel|travel|travelling|traveling|trip", "use", "travel"},
    {"通勤|commute|commuting", "use", "commute"},
    {"办公|office|work", "use", "work"},
    {"送礼|礼物|gift|present", "use", "gift"},
};

}  // namespace

std::span<const CategoryTerms> category_terms() { return kCategoryTerms; }
std::span<const TermGroup> colour_groups() { return kColours; }
std::span<const TermGroup> claim_groups() { return kClaims; }
std::span<const TermGroup> brand_groups() { return kBrands; }
std::span<const AttributeTerms> attribute_terms() { return kAttributes; }
std::span<const TermGroup> kind_groups() { return kKinds; }

std::vector<std::string_view> concept_spellings(std::string_view term) {
  // "tent" and "tents" name the same thing; only a Latin word has a plural.
  auto same_word = [&](std::string_view spelling) {
    if (spelling == term) return true;
    if (term.empty() || spelling.empty() || static_cast<unsigned char>(term.back()) >= 0x80) return false;
    auto plural_of = [](std::string_view plural, std::string_view single) {
      return plural.size() == single.size() + 1 && plural.back() == 's' && plural.starts_with(single);
    };
    return plural_of(spelling, term) || plural_of(term, spelling);
  };
  std::vector<std::string_view> out;
  auto take = [&](std::string_view list) {
    bool listed = false;
    for_each_term(list, [&](std::string_view spelling) { listed = listed || same_word(spelling); });
    if (!listed) return;
    for_each_term(list, [&](std::string_view spelling) {
      if (std::find(out.begin(), out.end(), spelling) == out.end()) out.push_back(spelling);
    });
  };
  for (std::span<const TermGroup> groups : {colour_groups(), brand_groups(), claim_groups(), kind_groups()})
    for (const auto& group : groups) take(group.terms);
  for (const auto& rule : kAttributes) take(rule.terms);
  return out;
}

}  // namespace tailor::semantic::detail
