#!/usr/bin/env python3
"""Generate Tailor's synthetic demo dataset (data/demo/).

A small bilingual (Chinese / English) online store: a catalogue of items in
14 categories, users who each belong to a hidden "taste group", and ~40k
behaviour events (views, clicks, carts, purchases, ratings, reviews, ...)
over the 120 days ending 2026-11-01T00:00:00Z.

Everything is drawn from one random.Random(SEED); running the script twice
gives byte-identical files. Standard library only.

    python3 scripts/gen_demo_data.py [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import math
import os
import random
import sys

SEED = 20261128
END = dt.datetime(2026, 11, 1, 0, 0, 0, tzinfo=dt.timezone.utc)
DAYS = 120
START = END - dt.timedelta(days=DAYS)
END_TS = int(END.timestamp())
START_TS = int(START.timestamp())
N_USERS = 1250

# ---------------------------------------------------------------------------
# Catalogue templates
#
# A product type is (subcategory, zh noun, en noun, price low, price high,
# adjectives [(zh, en)], variants [(zh, en)], features [(zh, en, tag)],
# category-specific attributes {name: [values]}).
# ---------------------------------------------------------------------------

MF = [("男款", "men's", {"gender": "men"}), ("女款", "women's", {"gender": "women"})]
SIZES = ["S", "M", "L", "XL"]

CATEGORIES = [
    {
        "id": "running", "zh": "跑步", "en": "Running",
        "brands": [("迅跑", "SwiftRun"), ("风行者", "Windrunner"), ("启程", "Kestrel"),
                   ("跃动", "Stride Lab"), ("轻羽", "Featherfoot")],
        "usage": [("日常慢跑和马拉松训练", "daily runs and marathon training"),
                  ("城市夜跑", "evening runs around the city"),
                  ("间歇训练和比赛日", "interval sessions and race day")],
        "types": [
            ("shoes", "跑鞋", "running shoes", 299, 1299,
             [("轻量缓震", "Lightweight cushioned"), ("竞速碳板", "Carbon-plated racing"),
              ("透气网面", "Breathable mesh"), ("稳定支撑", "Stability"), ("越野", "Trail")],
             MF,
             [("回弹中底", "a responsive foam midsole", "cushioning"),
              ("防滑耐磨大底", "a grippy, hard-wearing outsole", "grip"),
              ("透气网面鞋面", "a breathable mesh upper", "breathable"),
              ("反光条设计", "reflective details for night runs", "reflective"),
              ("宽楦设计", "a roomy toe box", "wide-fit")],
             {"size_eu": ["38", "39", "40", "41", "42", "43", "44", "45"], "drop_mm": [4, 6, 8, 10]}),
            ("apparel", "跑步T恤", "running T-shirt", 79, 299,
             [("速干", "Quick-dry"), ("超轻", "Ultralight"), ("无缝", "Seamless")],
             MF,
             [("吸湿排汗面料", "sweat-wicking fabric", "quick-dry"),
              ("反光logo", "a reflective logo", "reflective"),
              ("抗菌防臭处理", "an anti-odour finish", "anti-odour"),
              ("平缝不磨皮肤", "flatlock seams that don't chafe", "anti-chafe")],
             {"size": SIZES}),
            ("apparel", "跑步短裤", "running shorts", 69, 259,
             [("速干", "Quick-dry"), ("二合一", "2-in-1"), ("轻薄", "Lightweight")],
             MF,
             [("内置收纳口袋", "a zipped key pocket", "pocket"),
              ("弹力腰头", "a stretchy waistband", "stretch"),
              ("吸湿排汗面料", "sweat-wicking fabric", "quick-dry")],
             {"size": SIZES, "inseam_cm": [12, 15, 18]}),
            ("watches", "GPS运动手表", "GPS running watch", 899, 3999,
             [("长续航", "Long-battery"), ("轻薄", "Slim"), ("专业", "Pro")],
             [],
             [("双频GPS精准定位", "dual-band GPS", "gps"),
              ("心率与血氧监测", "heart-rate and SpO2 tracking", "heart-rate"),
              ("训练负荷分析", "training-load insights", "training"),
              ("超长续航", "a battery that lasts for weeks", "battery")],
             {"battery_days": [7, 10, 14, 21], "water_resistance": ["5ATM", "10ATM"]}),
            ("accessories", "跑步腰包", "running belt", 49, 159,
             [("贴身防晃", "Bounce-free"), ("大容量", "Roomy"), ("轻量", "Lightweight")],
             [],
             [("可放6.7英寸手机", "room for a 6.7-inch phone", "phone-pocket"),
              ("防泼水面料", "water-repellent fabric", "water-repellent"),
              ("反光条设计", "reflective trim", "reflective")],
             {"capacity_l": [0.5, 1, 1.5]}),
            ("accessories", "压缩袜", "compression socks", 39, 129,
             [("专业", "Performance"), ("马拉松", "Marathon"), ("透气", "Breathable")],
             MF,
             [("梯度压缩减少疲劳", "graduated compression to reduce fatigue", "compression"),
              ("加厚足底", "a cushioned sole", "cushioning"),
              ("防起泡设计", "a blister-free fit", "anti-blister")],
             {"size": ["S", "M", "L"]}),
        ],
    },
    {
        "id": "fitness", "zh": "健身瑜伽", "en": "Fitness & Yoga",
        "brands": [("柔力", "Flexa"), ("铁馆", "IronDen"), ("静心", "Lotus Flow"), ("动力派", "PowerPeak")],
        "usage": [("居家健身", "home workouts"), ("瑜伽和普拉提", "yoga and pilates"),
                  ("力量训练", "strength training")],
        "types": [
            ("yoga", "瑜伽垫", "yoga mat", 79, 399,
             [("加厚防滑", "Extra-thick non-slip"), ("双面", "Reversible"), ("天然橡胶", "Natural rubber")],
             [],
             [("双面防滑纹理", "grip on both sides", "non-slip"),
              ("体位线设计", "alignment lines", "alignment"),
              ("环保无异味材质", "odour-free, eco-friendly material", "eco"),
              ("附赠背带", "a carry strap", "portable")],
             {"thickness_mm": [4, 6, 8, 10], "material": ["TPE", "natural rubber", "PU"]}),
            ("yoga", "高腰瑜伽裤", "high-waist yoga leggings", 129, 459,
             [("裸感", "Buttery-soft"), ("提臀", "Sculpting"), ("无痕", "Seamless")],
             [],
             [("四面弹力面料", "four-way stretch fabric", "stretch"),
              ("侧边口袋", "side pockets", "pocket"),
              ("深蹲不透", "a squat-proof knit", "squat-proof")],
             {"size": ["XS", "S", "M", "L"]}),
            ("strength", "可调节哑铃", "adjustable dumbbells", 299, 1599,
             [("快调", "Quick-adjust"), ("家用", "Home"), ("包胶", "Rubber-coated")],
             [],
             [("一秒切换重量", "weight changes in a second", "adjustable"),
              ("防滑握把", "a knurled, non-slip grip", "grip"),
              ("节省空间", "a space-saving design", "compact")],
             {"max_weight_kg": [10, 20, 24, 40]}),
            ("strength", "壶铃", "kettlebell", 99, 399,
             [("竞技", "Competition"), ("铸铁", "Cast-iron"), ("软体", "Soft")],
             [],
             [("宽大握把", "a wide handle", "grip"),
              ("底部平稳", "a flat, stable base", "stable"),
              ("静音防撞", "a quiet, floor-friendly coating", "quiet")],
             {"weight_kg": [8, 12, 16, 20, 24]}),
            ("accessories", "弹力带套装", "resistance band set", 39, 159,
             [("多阻力", "Multi-level"), ("乳胶", "Latex"), ("布艺", "Fabric")],
             [],
             [("五档阻力", "five resistance levels", "resistance"),
              ("附训练指南", "an exercise guide", "guide"),
              ("收纳袋便携", "a travel pouch", "portable")],
             {"levels": [3, 5]}),
            ("accessories", "泡沫轴", "foam roller", 59, 199,
             [("高密度", "High-density"), ("狼牙", "Textured"), ("震动", "Vibrating")],
             [],
             [("深层放松肌肉", "deep muscle release", "recovery"),
              ("不易变形", "a shape that holds up", "durable"),
              ("运动后恢复", "post-workout recovery", "recovery")],
             {"length_cm": [33, 45, 60]}),
            ("accessories", "智能跳绳", "smart jump rope", 79, 199,
             [("计数", "Counting"), ("无绳", "Cordless"), ("负重", "Weighted")],
             [],
             [("自动计数和卡路里", "automatic count and calories", "tracking"),
              ("连接手机App", "an app connection", "app"),
              ("轴承顺滑", "smooth ball bearings", "smooth")],
             {"connectivity": ["Bluetooth"]}),
        ],
    },
    {
        "id": "outdoor", "zh": "户外露营", "en": "Outdoor & Camping",
        "brands": [("山野", "Ridgeline"), ("北境", "Northvale"), ("营火", "Campfire Co."), ("远山", "Far Peak")],
        "usage": [("周末露营", "weekend camping"), ("高山徒步", "alpine hikes"),
                  ("自驾野营", "road-trip camping")],
        "types": [
            ("camping", "帐篷", "tent", 399, 1999,
             [("双人速开", "Quick-pitch 2-person"), ("轻量三季", "Lightweight 3-season"), ("家庭", "Family")],
             [],
             [("防暴雨双层结构", "a storm-proof double wall", "waterproof"),
              ("铝合金杆", "aluminium poles", "aluminium"),
              ("60秒搭建", "a 60-second pitch", "quick-pitch"),
              ("通风防蚊纱网", "bug-proof mesh vents", "ventilation")],
             {"capacity_people": [2, 3, 4], "season": ["3-season", "4-season"]}),
            ("camping", "睡袋", "sleeping bag", 199, 899,
             [("羽绒", "Down"), ("木乃伊式", "Mummy"), ("信封式", "Rectangular")],
             [],
             [("轻量可压缩", "packs down small", "compact"),
              ("防泼水外层", "a water-resistant shell", "water-resistant"),
              ("双向拉链", "a two-way zip", "zip")],
             {"temp_rating_c": [-10, -5, 0, 5, 10]}),
            ("hiking", "登山背包", "hiking backpack", 259, 1299,
             [("大容量", "Large"), ("轻量化", "Ultralight"), ("专业徒步", "Trekking")],
             [],
             [("透气背负系统", "a ventilated back panel", "ventilation"),
              ("附防雨罩", "an integrated rain cover", "rain-cover"),
              ("多点调节肩带", "adjustable harness", "adjustable")],
             {"capacity_l": [30, 40, 50, 65]}),
            ("hiking", "徒步鞋", "hiking boots", 399, 1299,
             [("防水", "Waterproof"), ("中帮", "Mid-cut"), ("轻量", "Lightweight")],
             MF,
             [("防水透气膜", "a waterproof, breathable membrane", "waterproof"),
              ("抓地大底", "a lugged, grippy outsole", "grip"),
              ("护踝支撑", "ankle support", "support")],
             {"size_eu": ["38", "39", "40", "41", "42", "43", "44", "45"]}),
            ("gear", "头灯", "headlamp", 59, 259,
             [("充电式", "Rechargeable"), ("高亮", "Bright"), ("轻量", "Featherweight")],
             [],
             [("USB-C充电", "USB-C charging", "rechargeable"),
              ("红光模式", "a red-light mode", "red-light"),
              ("IPX4防水", "IPX4 splash resistance", "waterproof")],
             {"lumens": [300, 500, 800, 1200]}),
            ("gear", "便携炉头", "camping stove", 99, 459,
             [("分体式", "Remote-canister"), ("迷你", "Mini"), ("防风", "Windproof")],
             [],
             [("快速烧水", "a fast boil time", "fast-boil"),
              ("折叠收纳", "a fold-away design", "compact"),
              ("电子点火", "piezo ignition", "ignition")],
             {"fuel": ["butane", "isobutane"]}),
            ("gear", "折叠露营椅", "folding camp chair", 79, 299,
             [("月亮", "Moon"), ("超轻", "Ultralight"), ("高背", "High-back")],
             [],
             [("承重120公斤", "a 120 kg load rating", "sturdy"),
              ("三秒展开", "a three-second setup", "quick-setup"),
              ("附收纳袋", "a carry bag", "portable")],
             {"weight_kg": [0.9, 1.2, 2.5]}),
        ],
    },
    {
        "id": "phones-audio", "zh": "手机耳机", "en": "Phones & Audio",
        "brands": [("声悦", "Sonora"), ("听澜", "Aurial"), ("极光", "Aurora"), ("米立", "Mili")],
        "usage": [("通勤路上", "the daily commute"), ("运动和健身", "workouts"),
                  ("出差和长途飞行", "business trips and long flights")],
        "types": [
            ("earbuds", "蓝牙耳机", "wireless earbuds", 199, 1999,
             [("降噪", "Noise-cancelling"), ("运动", "Sport"), ("半入耳式", "Open-fit"), ("Hi-Fi", "Hi-Fi")],
             [("长续航", "long battery life"), ("低延迟", "low latency"), ("无线充电版", "wireless charging case")],
             [("主动降噪", "active noise cancellation", "anc"),
              ("超长总续航", "a long total battery life", "battery"),
              ("IPX5防水", "IPX5 sweat resistance", "waterproof"),
              ("双设备连接", "multipoint pairing", "multipoint")],
             {"battery_hours": [24, 30, 36, 40], "codec": ["AAC", "LDAC", "LC3"]}),
            ("headphones", "头戴式耳机", "over-ear headphones", 399, 2999,
             [("降噪", "Noise-cancelling"), ("监听", "Studio"), ("折叠", "Foldable")],
             [("长续航", "long battery life"), ("无线", "wireless")],
             [("主动降噪", "active noise cancellation", "anc"),
              ("蛋白皮耳罩", "plush memory-foam ear cushions", "comfort"),
              ("空间音频", "spatial audio", "spatial-audio")],
             {"battery_hours": [30, 40, 60]}),
            ("phones", "5G手机", "5G smartphone", 1499, 6999,
             [("旗舰", "Flagship"), ("轻薄", "Slim"), ("影像", "Camera-first")],
             [("256GB", "256GB", {"storage_gb": 256}), ("512GB", "512GB", {"storage_gb": 512}),
              ("128GB", "128GB", {"storage_gb": 128})],
             [("120Hz高刷屏", "a 120 Hz display", "display"),
              ("5000mAh大电池", "a 5,000 mAh battery", "battery"),
              ("超感光主摄", "a large-sensor main camera", "camera"),
              ("100W快充", "100 W fast charging", "fast-charge")],
             {"storage_gb": [128, 256, 512], "screen_in": ["6.1", "6.5", "6.7"]}),
            ("speakers", "蓝牙音箱", "Bluetooth speaker", 149, 1299,
             [("便携", "Portable"), ("防水", "Waterproof"), ("重低音", "Bass-boost")],
             [],
             [("360度环绕声", "360-degree sound", "360-sound"),
              ("IP67防水防尘", "IP67 dust and water resistance", "waterproof"),
              ("超长续航", "long playtime", "battery")],
             {"battery_hours": [12, 20, 24]}),
            ("accessories", "充电宝", "power bank", 79, 299,
             [("超薄", "Slim"), ("磁吸", "Magnetic"), ("大容量", "High-capacity")],
             [],
             [("双向快充", "two-way fast charging", "fast-charge"),
              ("可上飞机", "airline-safe capacity", "travel"),
              ("数字电量显示", "a digital charge display", "display")],
             {"capacity_mah": [5000, 10000, 20000]}),
            ("accessories", "氮化镓快充充电器", "GaN fast charger", 79, 299,
             [("迷你", "Compact"), ("多口", "Multi-port"), ("折叠插脚", "Foldable")],
             [],
             [("笔记本手机通用", "power for laptops and phones", "universal"),
              ("智能分配功率", "smart power sharing", "smart"),
              ("低温安全", "low-heat safety protection", "safety")],
             {"watts": [33, 65, 100]}),
            ("accessories", "手机壳", "phone case", 29, 129,
             [("防摔", "Shockproof"), ("透明", "Clear"), ("磁吸", "MagSafe-style")],
             [],
             [("四角气囊防摔", "air-cushioned corners", "shockproof"),
              ("不发黄材质", "a non-yellowing finish", "clear"),
              ("支持无线充电", "wireless-charging friendly", "wireless")],
             {"fits": ["6.1-inch", "6.5-inch", "6.7-inch"]}),
        ],
    },
    {
        "id": "computers", "zh": "电脑办公", "en": "Laptops & Computers",
        "brands": [("锐思", "Raystone"), ("云帆", "CloudSail"), ("极客坊", "GeekForge"), ("方舟", "Arkline")],
        "usage": [("办公和学习", "work and study"), ("编程开发", "coding"),
                  ("设计和视频剪辑", "design and video editing")],
        "types": [
            ("laptops", "笔记本电脑", "laptop", 3999, 12999,
             [("轻薄", "Thin-and-light"), ("高性能", "High-performance"), ("商务", "Business"), ("二合一", "2-in-1")],
             [("14英寸", "14-inch", {"screen_in": 14}), ("16英寸", "16-inch", {"screen_in": 16}),
              ("13英寸", "13-inch", {"screen_in": 13})],
             [("2.8K OLED屏幕", "a 2.8K OLED screen", "oled"),
              ("全天续航", "all-day battery life", "battery"),
              ("全金属机身", "an all-metal body", "metal"),
              ("雷电4接口", "Thunderbolt 4 ports", "thunderbolt")],
             {"ram_gb": [8, 16, 32], "storage_gb": [512, 1024, 2048]}),
            ("peripherals", "机械键盘", "mechanical keyboard", 199, 899,
             [("无线", "Wireless"), ("热插拔", "Hot-swappable"), ("矮轴", "Low-profile")],
             [],
             [("三模连接", "tri-mode connectivity", "wireless"),
              ("PBT键帽", "PBT keycaps", "pbt"),
              ("RGB背光", "RGB backlighting", "rgb")],
             {"switch": ["red", "brown", "blue"], "layout": ["75%", "TKL", "full-size"]}),
            ("peripherals", "无线鼠标", "wireless mouse", 59, 399,
             [("静音", "Silent"), ("人体工学", "Ergonomic"), ("便携", "Travel")],
             [],
             [("静音按键", "silent clicks", "silent"),
              ("双模连接", "Bluetooth and 2.4 GHz", "wireless"),
              ("70天续航", "70 days of battery", "battery")],
             {"dpi": [1600, 4000, 8000]}),
            ("monitors", "4K显示器", "4K monitor", 1299, 3999,
             [("专业设计", "Pro-colour"), ("护眼", "Eye-care"), ("Type-C", "USB-C")],
             [("27英寸", "27-inch", {"size_in": 27}), ("32英寸", "32-inch", {"size_in": 32})],
             [("99% sRGB色域", "99% sRGB coverage", "colour-accurate"),
              ("Type-C一线连", "single-cable USB-C", "usb-c"),
              ("可升降旋转支架", "a height-adjustable stand", "ergonomic")],
             {"size_in": [24, 27, 32], "panel": ["IPS"]}),
            ("tablets", "平板电脑", "tablet", 1999, 5999,
             [("轻薄", "Slim"), ("大屏", "Large-screen"), ("学习", "Study")],
             [("11英寸", "11-inch", {"screen_in": 11}), ("12.4英寸", "12.4-inch", {"screen_in": 12.4})],
             [("支持手写笔", "stylus support", "stylus"),
              ("四扬声器", "quad speakers", "audio"),
              ("144Hz高刷屏", "a 144 Hz display", "display")],
             {"storage_gb": [128, 256]}),
            ("storage", "移动固态硬盘", "portable SSD", 299, 1299,
             [("高速", "High-speed"), ("三防", "Rugged"), ("迷你", "Pocket")],
             [("1TB", "1TB", {"capacity_tb": 1}), ("2TB", "2TB", {"capacity_tb": 2})],
             [("1000MB/s读写", "1,000 MB/s transfers", "fast"),
              ("防摔防水", "drop and splash protection", "rugged"),
              ("硬件加密", "hardware encryption", "encryption")],
             {"capacity_tb": [1, 2, 4]}),
            ("peripherals", "扩展坞", "USB-C dock", 99, 499,
             [("十合一", "10-in-1"), ("铝合金", "Aluminium"), ("双屏", "Dual-display")],
             [],
             [("4K HDMI输出", "4K HDMI output", "hdmi"),
              ("100W PD充电", "100 W pass-through charging", "charging"),
              ("千兆网口", "a gigabit Ethernet port", "ethernet")],
             {"ports": [7, 10, 12]}),
        ],
    },
    {
        "id": "smart-home", "zh": "智能家居", "en": "Smart Home",
        "brands": [("智家", "Homely"), ("云居", "NestCloud"), ("光合", "Lumio"), ("安途", "SafeNest")],
        "usage": [("全屋智能", "a connected home"), ("独居公寓", "a small apartment"),
                  ("有娃家庭", "a busy family home")],
        "types": [
            ("hubs", "智能音箱", "smart speaker", 99, 699,
             [("带屏", "Display"), ("迷你", "Mini"), ("高保真", "Hi-fi")],
             [],
             [("语音控制全屋设备", "voice control for the whole home", "voice"),
              ("支持Matter协议", "Matter support", "matter"),
              ("远场拾音", "far-field microphones", "microphone")],
             {"protocol": ["Wi-Fi", "Bluetooth Mesh", "Matter"]}),
            ("cleaning", "扫地机器人", "robot vacuum", 1299, 4999,
             [("扫拖一体", "Vacuum-and-mop"), ("激光导航", "Lidar"), ("自动集尘", "Self-emptying")],
             [],
             [("激光导航建图", "lidar mapping", "lidar"),
              ("自动集尘", "a self-emptying base", "self-empty"),
              ("智能避障", "obstacle avoidance", "obstacle-avoidance"),
              ("App预约清扫", "app scheduling", "app")],
             {"suction_pa": [4000, 6000, 8000]}),
            ("lighting", "智能灯泡", "smart bulb", 39, 129,
             [("全彩", "Colour"), ("调光调色", "Tunable-white"), ("护眼", "Flicker-free")],
             [],
             [("1600万色", "16 million colours", "rgb"),
              ("语音和App控制", "voice and app control", "voice"),
              ("定时开关", "schedules and timers", "schedule")],
             {"protocol": ["Wi-Fi", "Zigbee", "Bluetooth Mesh"]}),
            ("security", "智能门锁", "smart door lock", 999, 2999,
             [("指纹", "Fingerprint"), ("人脸识别", "Face-recognition"), ("全自动", "Fully automatic")],
             [],
             [("半导体指纹识别", "a fast fingerprint reader", "fingerprint"),
              ("临时密码", "temporary guest codes", "guest-codes"),
              ("异常报警", "tamper alerts", "alerts")],
             {"protocol": ["Wi-Fi", "Zigbee"]}),
            ("security", "家用摄像头", "home security camera", 149, 499,
             [("2K高清", "2K"), ("云台", "Pan-tilt"), ("室外", "Outdoor")],
             [],
             [("红外夜视", "infrared night vision", "night-vision"),
              ("人形侦测", "person detection", "detection"),
              ("双向通话", "two-way talk", "two-way-audio")],
             {"resolution": ["2K", "3K"]}),
            ("air", "空气净化器", "air purifier", 699, 2999,
             [("除甲醛", "Formaldehyde-removing"), ("静音", "Quiet"), ("大空间", "Large-room")],
             [],
             [("HEPA H13滤网", "an H13 HEPA filter", "hepa"),
              ("实时空气质量显示", "a live air-quality display", "display"),
              ("睡眠模式", "a sleep mode", "quiet")],
             {"cadr_m3h": [300, 450, 600]}),
            ("power", "智能插座", "smart plug", 39, 99,
             [("电量统计", "Energy-monitoring"), ("迷你", "Mini"), ("双口", "Dual")],
             [],
             [("远程开关", "remote on/off", "remote"),
              ("用电统计", "energy monitoring", "energy"),
              ("过载保护", "overload protection", "safety")],
             {"protocol": ["Wi-Fi", "Zigbee", "Matter"]}),
        ],
    },
    {
        "id": "kitchen", "zh": "厨房烹饪", "en": "Kitchen & Cooking",
        "brands": [("好厨", "ChefMate"), ("炊烟", "Hearth & Co."), ("匠心", "Forgewell"), ("小灶", "Little Stove")],
        "usage": [("家常菜", "weeknight dinners"), ("周末烘焙", "weekend baking"),
                  ("一家三口日常做饭", "everyday family cooking")],
        "types": [
            ("appliances", "空气炸锅", "air fryer", 299, 899,
             [("可视", "Window"), ("大容量", "Family-size"), ("双篮", "Dual-basket")],
             [],
             [("无油少烟", "oil-free cooking with little smoke", "healthy"),
              ("可视窗口", "a viewing window", "window"),
              ("12种预设菜单", "12 preset programmes", "presets")],
             {"capacity_l": [4, 5, 6, 8]}),
            ("cookware", "刀具套装", "kitchen knife set", 199, 999,
             [("大马士革钢", "Damascus steel"), ("德式", "German-style"), ("日式", "Japanese-style")],
             [],
             [("锋利持久", "an edge that stays sharp", "sharp"),
              ("防滑手柄", "non-slip handles", "grip"),
              ("附刀座", "a knife block", "block")],
             {"pieces": [3, 5, 7], "material": ["stainless steel", "Damascus steel"]}),
            ("cookware", "铸铁锅", "cast-iron skillet", 199, 699,
             [("珐琅", "Enamelled"), ("无涂层", "Pre-seasoned"), ("深口", "Deep")],
             [],
             [("受热均匀", "even heat", "even-heat"),
              ("电磁炉燃气通用", "works on gas and induction", "induction"),
              ("越用越好用", "a surface that improves with use", "durable")],
             {"diameter_cm": [20, 24, 26, 28]}),
            ("appliances", "电饭煲", "rice cooker", 299, 1299,
             [("IH电磁加热", "Induction-heating"), ("迷你", "Mini"), ("低糖", "Low-sugar")],
             [],
             [("球釜内胆", "a thick spherical inner pot", "inner-pot"),
              ("预约定时", "a delay timer", "timer"),
              ("多种米饭模式", "modes for every kind of rice", "presets")],
             {"capacity_l": [2, 3, 4, 5]}),
            ("appliances", "厨师机", "stand mixer", 999, 2999,
             [("家用", "Home"), ("静音", "Quiet"), ("多功能", "Multi-function")],
             [],
             [("大功率揉面", "a powerful kneading motor", "powerful"),
              ("不锈钢搅拌碗", "a stainless-steel bowl", "stainless"),
              ("附打蛋头和钩", "whisk, beater and dough hook", "attachments")],
             {"bowl_l": [5, 6.5, 7]}),
            ("cookware", "不粘炒锅", "non-stick wok", 149, 499,
             [("少油烟", "Low-smoke"), ("麦饭石", "Stone-coated"), ("钛", "Titanium")],
             [],
             [("不粘好清洗", "a non-stick, easy-clean surface", "non-stick"),
              ("电磁炉燃气通用", "works on gas and induction", "induction"),
              ("可立锅盖", "a stand-up lid", "lid")],
             {"diameter_cm": [30, 32, 34]}),
            ("appliances", "破壁机", "high-speed blender", 399, 1599,
             [("静音", "Quiet"), ("加热", "Heated"), ("便携", "Portable")],
             [],
             [("8叶刀头", "an 8-blade assembly", "blades"),
              ("一键豆浆", "one-touch soy milk", "soy-milk"),
              ("自动清洗", "self-cleaning", "self-clean")],
             {"capacity_l": [0.6, 1.2, 1.75]}),
        ],
    },
    {
        "id": "coffee-tea", "zh": "咖啡茶饮", "en": "Coffee & Tea",
        "brands": [("晨焙", "Morning Roast"), ("山茶", "Camellia Hill"), ("豆匠", "BeanCraft"), ("云雾", "Cloud Mist")],
        "usage": [("每天早上的第一杯", "the first cup of the morning"), ("办公室下午茶", "afternoon breaks at the office"),
                  ("周末手冲", "slow weekend brewing")],
        "types": [
            ("coffee", "咖啡豆", "coffee beans", 69, 229,
             [("单品", "Single-origin"), ("意式拼配", "Espresso blend", {"roast": "dark"}),
              ("深烘", "Dark-roast", {"roast": "dark"}), ("浅烘", "Light-roast", {"roast": "light"})],
             [("250克", "250 g", {"weight_g": 250}), ("500克", "500 g", {"weight_g": 500})],
             [("花香果酸", "floral, fruity acidity", "fruity"),
              ("坚果巧克力风味", "nutty, chocolatey notes", "chocolate"),
              ("新鲜烘焙", "freshly roasted to order", "fresh"),
              ("油脂丰富", "a rich crema", "crema")],
             {"origin": ["Ethiopia Yirgacheffe", "Yunnan", "Colombia", "Brazil", "Kenya"],
              "roast": ["light", "medium", "dark"]}),
            ("coffee", "挂耳咖啡", "drip coffee bags", 39, 129,
             [("精品", "Specialty"), ("黑咖啡", "Black"), ("冷萃", "Cold-brew")],
             [("10片装", "10-pack", {"count": 10}), ("30片装", "30-pack", {"count": 30})],
             [("三分钟一杯", "a cup in three minutes", "quick"),
              ("独立充氮包装", "nitrogen-flushed sachets", "fresh"),
              ("无糖无添加", "no sugar or additives", "no-sugar")],
             {"roast": ["light", "medium", "dark"]}),
            ("equipment", "手摇磨豆机", "hand coffee grinder", 159, 699,
             [("不锈钢刀盘", "Stainless-burr"), ("便携", "Portable"), ("精准", "Precision")],
             [],
             [("40档精准调节", "40 grind settings", "adjustable"),
              ("研磨均匀", "a uniform grind", "uniform"),
              ("可拆洗", "easy to take apart and clean", "easy-clean")],
             {"burr": ["conical steel", "ceramic"]}),
            ("equipment", "手冲壶", "pour-over kettle", 99, 399,
             [("温控", "Temperature-control"), ("细口", "Gooseneck"), ("不锈钢", "Stainless")],
             [],
             [("精准控温", "precise temperature control", "temperature"),
              ("鹅颈细嘴水流稳定", "a steady gooseneck pour", "gooseneck"),
              ("保温一小时", "a one-hour keep-warm", "keep-warm")],
             {"capacity_ml": [600, 800, 1000]}),
            ("equipment", "半自动咖啡机", "espresso machine", 1299, 4999,
             [("家用", "Home"), ("意式", "Italian-style"), ("带磨豆", "Bean-to-cup")],
             [],
             [("20bar高压萃取", "20-bar extraction", "pressure"),
              ("蒸汽奶泡棒", "a steam wand for milk foam", "milk-foam"),
              ("快速预热", "a fast warm-up", "fast")],
             {"pressure_bar": [15, 20]}),
            ("tea", "绿茶", "green tea", 59, 399,
             [("明前", "Early-spring"), ("高山", "High-mountain"), ("有机", "Organic")],
             [("罐装", "tin"), ("礼盒装", "gift box")],
             [("清香鲜爽", "a fresh, grassy aroma", "fresh"),
              ("手工采摘", "hand-picked leaves", "hand-picked"),
              ("回甘持久", "a lingering sweet finish", "sweet")],
             {"origin": ["West Lake Longjing", "Huangshan Maofeng", "Biluochun"], "weight_g": [100, 250]}),
            ("tea", "乌龙茶", "oolong tea", 79, 499,
             [("浓香型", "Roasted"), ("清香型", "Fragrant"), ("高山", "High-mountain")],
             [("罐装", "tin"), ("礼盒装", "gift box")],
             [("兰花香", "an orchid-like fragrance", "floral"),
              ("耐泡", "leaves that brew many times", "rebrew"),
              ("炭焙工艺", "traditional charcoal roasting", "roasted")],
             {"origin": ["Anxi Tieguanyin", "Wuyi Dahongpao", "Alishan"], "weight_g": [125, 250]}),
            ("tea", "茶具套装", "tea set", 129, 599,
             [("陶瓷", "Ceramic"), ("旅行", "Travel"), ("玻璃", "Glass")],
             [],
             [("一壶四杯", "a pot and four cups", "set"),
              ("手工烧制", "hand-fired glaze", "handmade"),
              ("附收纳包", "a carry case", "portable")],
             {"pieces": [5, 7, 9]}),
        ],
    },
    {
        "id": "books", "zh": "图书", "en": "Books",
        "brands": [("北岸出版社", "Northbank Press"), ("青石书局", "Bluestone Books"),
                   ("灯塔文化", "Lighthouse Media"), ("远帆出版", "Far Sail Publishing")],
        "usage": [],
        "types": [],  # books use BOOK_TEMPLATES below
    },
    {
        "id": "beauty", "zh": "美妆护肤", "en": "Beauty & Skincare",
        "brands": [("水漾", "AquaVeil"), ("花研", "Petal Lab"), ("素肌", "Bare Skin"), ("光采", "Glowe")],
        "usage": [("日常护肤", "a daily skincare routine"), ("换季敏感肌", "sensitive skin between seasons"),
                  ("熬夜后急救", "rescue after late nights")],
        "types": [
            ("skincare", "精华液", "serum", 129, 699,
             [("玻尿酸保湿", "Hyaluronic"), ("烟酰胺提亮", "Niacinamide brightening"), ("维C", "Vitamin C"), ("修护", "Repair")],
             [("30ml", "30 ml", {"volume_ml": 30}), ("50ml", "50 ml", {"volume_ml": 50})],
             [("深层补水", "deep hydration", "hydrating"),
              ("淡化痘印", "fading dark spots", "brightening"),
              ("温和不刺激", "a gentle, non-irritating formula", "gentle"),
              ("质地清爽易吸收", "a light, fast-absorbing texture", "lightweight")],
             {"skin_type": ["dry", "oily", "combination", "sensitive"], "volume_ml": [30, 50]}),
            ("skincare", "面霜", "moisturiser", 99, 599,
             [("保湿", "Hydrating"), ("修护", "Barrier-repair"), ("抗初老", "Anti-ageing")],
             [],
             [("神经酰胺修护屏障", "ceramides for the skin barrier", "barrier"),
              ("24小时保湿", "24-hour moisture", "hydrating"),
              ("无香精", "a fragrance-free formula", "fragrance-free")],
             {"skin_type": ["dry", "combination", "sensitive"], "volume_ml": [50]}),
            ("skincare", "防晒霜", "sunscreen", 69, 259,
             [("清爽", "Lightweight"), ("防水", "Water-resistant"), ("物理", "Mineral")],
             [],
             [("SPF50+ PA++++", "SPF50+ PA++++ protection", "spf50"),
              ("不泛白", "no white cast", "no-white-cast"),
              ("运动防汗", "sweat resistance", "water-resistant")],
             {"spf": [30, 50], "volume_ml": [40, 60]}),
            ("skincare", "洁面乳", "facial cleanser", 49, 199,
             [("氨基酸", "Amino-acid"), ("控油", "Oil-control"), ("温和", "Gentle")],
             [],
             [("绵密泡沫", "a rich, creamy lather", "foam"),
              ("洗后不紧绷", "no tight feeling after washing", "gentle"),
              ("深层清洁毛孔", "deep pore cleansing", "pore")],
             {"skin_type": ["oily", "combination", "sensitive"], "volume_ml": [100, 150]}),
            ("makeup", "口红", "lipstick", 99, 369,
             [("丝绒雾面", "Velvet matte"), ("滋润", "Moisturising"), ("镜面", "Glossy")],
             [("正红色", "classic red", {"shade": "red"}), ("豆沙色", "rosewood", {"shade": "rosewood"}),
              ("枫叶色", "maple", {"shade": "maple"})],
             [("显色持久", "rich, long-lasting colour", "long-lasting"),
              ("不拔干", "a formula that won't dry lips", "moisturising"),
              ("不沾杯", "a transfer-proof finish", "transfer-proof")],
             {"shade": ["red", "rosewood", "nude", "coral", "berry"]}),
            ("skincare", "面膜", "sheet masks", 59, 199,
             [("补水", "Hydrating"), ("舒缓", "Soothing"), ("亮肤", "Brightening")],
             [("10片装", "10-pack", {"count": 10}), ("5片装", "5-pack", {"count": 5})],
             [("精华满满", "soaked in serum", "serum"),
              ("贴合不滑落", "a snug fit", "fit"),
              ("急救补水", "an instant moisture boost", "hydrating")],
             {"skin_type": ["all", "dry", "sensitive"]}),
            ("skincare", "眼霜", "eye cream", 149, 699,
             [("淡纹", "Line-smoothing"), ("去黑眼圈", "Dark-circle"), ("紧致", "Firming")],
             [],
             [("视黄醇", "retinol", "retinol"),
              ("咖啡因消肿", "caffeine to reduce puffiness", "caffeine"),
              ("按摩头设计", "a cooling massage tip", "applicator")],
             {"volume_ml": [15, 20]}),
        ],
    },
    {
        "id": "baby-kids", "zh": "母婴童装", "en": "Baby & Kids",
        "brands": [("贝乐", "Bebelle"), ("小树", "Little Tree"), ("暖暖", "Cosy Cub"), ("童趣", "Kiddo")],
        "usage": [("新生儿家庭", "families with a newborn"), ("日常出行", "days out with little ones"),
                  ("早教和亲子时光", "early learning and play time")],
        "types": [
            ("care", "纸尿裤", "nappies", 89, 229,
             [("超薄透气", "Ultra-thin breathable"), ("夜用", "Overnight"), ("拉拉裤", "Pull-up")],
             [("S码", "size S", {"size": "S"}), ("M码", "size M", {"size": "M"}), ("L码", "size L", {"size": "L"}),
              ("XL码", "size XL", {"size": "XL"})],
             [("干爽不闷", "stays dry and breathable", "breathable"),
              ("12小时防漏", "12-hour leak protection", "leak-proof"),
              ("柔软亲肤", "a soft, skin-friendly feel", "soft")],
             {"size": ["NB", "S", "M", "L", "XL"], "count": [48, 60, 84]}),
            ("travel", "婴儿推车", "baby stroller", 899, 3999,
             [("轻便折叠", "Lightweight folding"), ("高景观", "High-view"), ("双向", "Reversible")],
             [],
             [("一键收车", "a one-hand fold", "one-hand-fold"),
              ("可坐可躺", "a seat that reclines flat", "recline"),
              ("避震轮", "all-wheel suspension", "suspension")],
             {"age_range": ["0-3"], "weight_kg": [5.8, 7.5, 9.9]}),
            ("feeding", "奶瓶", "baby bottle", 59, 199,
             [("防胀气", "Anti-colic"), ("宽口径", "Wide-neck"), ("玻璃", "Glass")],
             [],
             [("仿母乳奶嘴", "a breast-like teat", "teat"),
              ("防胀气阀门", "an anti-colic valve", "anti-colic"),
              ("耐高温消毒", "steriliser-safe materials", "steriliser-safe")],
             {"capacity_ml": [160, 240, 300]}),
            ("toys", "早教益智玩具", "educational toy", 59, 299,
             [("木质", "Wooden"), ("蒙氏", "Montessori"), ("音乐", "Musical")],
             [],
             [("锻炼精细动作", "fine-motor practice", "motor-skills"),
              ("圆角无毒", "rounded, non-toxic finishes", "safe"),
              ("认识颜色形状", "learning colours and shapes", "learning")],
             {"age_range": ["0-1", "1-3", "3-6"]}),
            ("clothing", "婴儿连体衣", "baby romper", 59, 199,
             [("纯棉", "Organic cotton"), ("A类", "Extra-soft"), ("保暖", "Warm")],
             [("3件装", "3-pack"), ("单件", "single")],
             [("A类纯棉", "100% cotton, baby-safe grade", "cotton"),
              ("按扣方便换尿布", "easy-change snaps", "snaps"),
              ("无骨缝制", "seamless stitching", "soft")],
             {"size_cm": [59, 66, 73, 80, 90]}),
            ("travel", "儿童安全座椅", "car seat", 699, 2999,
             [("360度旋转", "360-degree rotating"), ("ISOFIX", "ISOFIX"), ("增高", "Booster")],
             [],
             [("ISOFIX硬接口", "ISOFIX anchors", "isofix"),
              ("侧撞保护", "side-impact protection", "safety"),
              ("可调头枕", "an adjustable headrest", "adjustable")],
             {"age_range": ["0-4", "9m-12", "3-12"]}),
        ],
    },
    {
        "id": "gaming", "zh": "游戏电竞", "en": "Gaming",
        "brands": [("赤焰", "Blaze"), ("像素坊", "Pixel Forge"), ("雷鸣", "Thunderbolt Gaming"), ("战鹰", "WarHawk")],
        "usage": [("通宵开黑", "late-night sessions with friends"), ("竞技对战", "competitive matches"),
                  ("客厅娱乐", "living-room gaming")],
        "types": [
            ("consoles", "游戏主机", "games console", 1999, 4299,
             [("次世代", "Next-gen"), ("轻薄版", "Slim"), ("数字版", "Digital")],
             [("标准版", "standard edition"), ("套装", "bundle")],
             [("4K 120帧", "4K at 120 fps", "4k"),
              ("超高速SSD", "an ultra-fast SSD", "ssd"),
              ("向下兼容", "backwards compatibility", "compatibility")],
             {"storage_gb": [512, 825, 1024]}),
            ("controllers", "无线游戏手柄", "wireless controller", 199, 599,
             [("霍尔摇杆", "Hall-effect"), ("精英", "Elite"), ("体感", "Motion")],
             [],
             [("零漂移摇杆", "drift-free sticks", "no-drift"),
              ("背键可编程", "programmable back buttons", "programmable"),
              ("HD震动", "HD rumble", "rumble")],
             {"platform": ["PC", "Switch", "PlayStation", "Xbox"]}),
            ("peripherals", "电竞耳机", "gaming headset", 199, 899,
             [("7.1环绕", "7.1 surround"), ("无线", "Wireless"), ("轻量", "Lightweight")],
             [],
             [("听声辨位", "positional audio", "positional-audio"),
              ("降噪麦克风", "a noise-cancelling mic", "microphone"),
              ("低延迟无线", "low-latency wireless", "low-latency")],
             {"platform": ["PC", "PlayStation", "multi-platform"]}),
            ("peripherals", "电竞鼠标", "gaming mouse", 99, 599,
             [("超轻", "Ultralight"), ("无线", "Wireless"), ("洞洞", "Honeycomb")],
             [],
             [("26000 DPI传感器", "a 26,000 DPI sensor", "sensor"),
              ("8K回报率", "8 kHz polling", "polling"),
              ("光微动", "optical switches", "optical")],
             {"dpi": [16000, 26000, 30000], "weight_g": [49, 58, 63]}),
            ("peripherals", "电竞机械键盘", "gaming keyboard", 299, 999,
             [("磁轴", "Magnetic-switch"), ("RGB", "RGB"), ("紧凑", "Compact")],
             [],
             [("可调触发键程", "adjustable actuation", "rapid-trigger"),
              ("全键无冲", "full n-key rollover", "nkro"),
              ("1000Hz回报率", "1,000 Hz polling", "polling")],
             {"layout": ["60%", "75%", "TKL"]}),
            ("games", "开放世界冒险游戏", "open-world adventure game", 199, 429,
             [("年度", "Game of the Year"), ("豪华版", "Deluxe"), ("中文版", "Standard")],
             [],
             [("上百小时主线", "a 100-hour campaign", "long-campaign"),
              ("在线多人合作", "online co-op", "co-op"),
              ("中文配音", "full Chinese voice-over", "localised")],
             {"platform": ["Switch", "PlayStation", "PC"], "age_rating": ["12+", "16+"]}),
            ("furniture", "电竞椅", "gaming chair", 799, 2499,
             [("人体工学", "Ergonomic"), ("可躺", "Reclining"), ("透气网布", "Mesh")],
             [],
             [("4D扶手", "4D armrests", "armrests"),
              ("腰部支撑", "lumbar support", "lumbar"),
              ("155度躺靠", "a 155-degree recline", "recline")],
             {"max_load_kg": [120, 150]}),
        ],
    },
    {
        "id": "fashion", "zh": "服饰", "en": "Fashion",
        "brands": [("素衣", "Plainwear"), ("城南", "Southside"), ("衣橱研究所", "Wardrobe Lab"), ("青禾", "Greenfield")],
        "usage": [("通勤和约会", "the office and evenings out"), ("周末出街", "weekend outings"),
                  ("秋冬叠穿", "autumn and winter layering")],
        "types": [
            ("tops", "纯棉T恤", "cotton T-shirt", 59, 199,
             [("宽松", "Relaxed-fit"), ("重磅", "Heavyweight"), ("基础", "Essential")],
             MF,
             [("新疆长绒棉", "long-staple cotton", "cotton"),
              ("不易变形", "a shape that lasts", "durable"),
              ("百搭纯色", "a versatile plain colour", "basic")],
             {"size": SIZES, "material": ["cotton"]}),
            ("bottoms", "直筒牛仔裤", "straight-leg jeans", 199, 599,
             [("高腰", "High-rise"), ("水洗", "Washed"), ("弹力", "Stretch")],
             MF,
             [("微弹舒适", "a comfortable touch of stretch", "stretch"),
              ("显瘦版型", "a flattering cut", "slim"),
              ("做旧水洗", "a vintage wash", "vintage")],
             {"size": ["26", "28", "30", "32", "34"], "material": ["denim"]}),
            ("dresses", "连衣裙", "midi dress", 199, 799,
             [("法式", "French-style"), ("碎花", "Floral"), ("针织", "Knit")],
             [],
             [("收腰设计", "a cinched waist", "waist"),
              ("垂感面料", "a fluid drape", "drape"),
              ("有内衬不透", "a full lining", "lined")],
             {"size": ["XS", "S", "M", "L"], "material": ["viscose", "cotton", "knit"]}),
            ("outerwear", "羽绒服", "down jacket", 499, 1999,
             [("轻薄", "Packable"), ("长款", "Long"), ("连帽", "Hooded")],
             MF,
             [("90%白鹅绒", "90% goose down", "down"),
              ("防泼水面料", "a water-repellent shell", "water-repellent"),
              ("可收纳", "packs into its own pocket", "packable")],
             {"size": SIZES, "fill_power": [600, 700, 800]}),
            ("shoes", "休闲板鞋", "casual sneakers", 199, 699,
             [("百搭", "Everyday"), ("复古", "Retro"), ("小白鞋", "Clean white")],
             MF,
             [("真皮鞋面", "a leather upper", "leather"),
              ("软弹鞋垫", "a cushioned insole", "cushioning"),
              ("百搭配色", "an easy-to-match colourway", "versatile")],
             {"size_eu": ["36", "37", "38", "39", "40", "41", "42", "43", "44"]}),
            ("bags", "托特包", "tote bag", 199, 1299,
             [("通勤", "Work"), ("大容量", "Oversized"), ("真皮", "Leather")],
             [],
             [("可放13寸电脑", "room for a 13-inch laptop", "laptop"),
              ("内置分隔袋", "inner pockets", "pockets"),
              ("头层牛皮", "full-grain leather", "leather")],
             {"material": ["leather", "canvas", "nylon"]}),
            ("tops", "衬衫", "shirt", 129, 399,
             [("免烫", "Non-iron"), ("牛津纺", "Oxford"), ("亚麻", "Linen")],
             MF,
             [("免烫易打理", "easy-care fabric", "easy-care"),
              ("修身版型", "a tailored fit", "slim"),
              ("透气亲肤", "a breathable feel", "breathable")],
             {"size": SIZES, "material": ["cotton", "linen"]}),
        ],
    },
    {
        "id": "travel", "zh": "旅行装备", "en": "Travel Gear",
        "brands": [("行者", "Voyager"), ("旅途", "Roamly"), ("云游", "Wanderwell"), ("途远", "FarTrip")],
        "usage": [("短途出差", "short business trips"), ("长途旅行", "long trips abroad"),
                  ("周末自由行", "weekend getaways")],
        "types": [
            ("luggage", "登机箱", "carry-on suitcase", 399, 1999,
             [("铝框", "Aluminium-frame"), ("超轻", "Ultralight"), ("扩展", "Expandable")],
             [("20英寸", "20-inch", {"size_in": 20}), ("24英寸", "24-inch", {"size_in": 24}),
              ("28英寸", "28-inch", {"size_in": 28})],
             [("万向静音轮", "silent spinner wheels", "spinner"),
              ("TSA海关锁", "a TSA lock", "tsa-lock"),
              ("PC防刮箱体", "a scratch-resistant polycarbonate shell", "hard-shell")],
             {"size_in": [20, 24, 28]}),
            ("bags", "旅行背包", "travel backpack", 199, 799,
             [("大开口", "Clamshell"), ("防盗", "Anti-theft"), ("可登机", "Cabin-size")],
             [],
             [("180度开合", "a 180-degree opening", "clamshell"),
              ("隐藏式拉链", "hidden zips", "anti-theft"),
              ("USB充电口", "a USB charging port", "usb")],
             {"capacity_l": [25, 35, 40]}),
            ("comfort", "记忆棉U型枕", "memory-foam neck pillow", 49, 199,
             [("护颈", "Ergonomic"), ("可折叠", "Foldable"), ("充气", "Inflatable")],
             [],
             [("慢回弹记忆棉", "slow-rebound memory foam", "memory-foam"),
              ("可拆洗外套", "a washable cover", "washable"),
              ("附眼罩耳塞", "an eye mask and earplugs", "sleep-kit")],
             {"material": ["memory foam", "air"]}),
            ("organisers", "收纳袋套装", "packing cubes", 39, 149,
             [("压缩", "Compression"), ("防水", "Waterproof"), ("轻量", "Lightweight")],
             [("六件套", "set of 6", {"pieces": 6}), ("四件套", "set of 4", {"pieces": 4})],
             [("压缩节省空间", "compression that saves space", "compression"),
              ("网面可视", "mesh panels to see inside", "mesh"),
              ("分类收纳", "sorting by outfit", "organised")],
             {"pieces": [4, 6, 8]}),
            ("electronics", "全球通用转换插头", "universal travel adapter", 59, 199,
             [("多国通用", "Worldwide"), ("快充", "Fast-charge"), ("迷你", "Mini")],
             [],
             [("覆盖200多个国家", "coverage in 200+ countries", "worldwide"),
              ("多口USB充电", "several USB ports", "usb"),
              ("安全保险丝", "a built-in safety fuse", "safety")],
             {"usb_ports": [2, 3, 4]}),
            ("organisers", "护照包", "passport holder", 39, 159,
             [("防盗刷", "RFID-blocking"), ("多功能", "Multi-pocket"), ("真皮", "Leather")],
             [],
             [("RFID防盗刷", "RFID blocking", "rfid"),
              ("可放登机牌", "a boarding-pass slot", "pockets"),
              ("轻薄贴身", "a slim, body-hugging fit", "slim")],
             {"material": ["leather", "nylon"]}),
        ],
    },
]

BOOK_KINDS = [
    # (sub, price lo, hi, zh genre word, en genre word, zh title parts, en title fn parts)
    ("fiction", 39, 89, "长篇小说", "novel"),
    ("tech", 69, 159, "技术", "technical book"),
    ("cooking", 49, 129, "美食", "cookbook"),
    ("parenting", 39, 89, "育儿", "parenting guide"),
    ("travel", 49, 119, "旅行", "travel guide"),
    ("business", 49, 99, "财经", "business book"),
    ("science", 45, 109, "科普", "popular-science book"),
    ("sport", 39, 99, "运动", "sports book"),
]

ZH_NOVEL_A = ["长夜", "海风", "灯塔", "山城", "雨季", "远方", "归途", "月光", "旧街", "星河", "白塔", "江南", "北方", "故园"]
ZH_NOVEL_B = ["往事", "之歌", "笔记", "来信", "纪事", "人家", "三部曲", "的夏天", "的秘密"]
ZH_TECH = ["Python数据分析", "深度学习", "C++并发编程", "分布式系统", "推荐系统", "算法图解", "Rust程序设计", "机器学习工程"]
ZH_TECH_B = ["实战", "入门与实践", "从零开始", "精要", "（第2版）", "原理与实现"]
ZH_COOK = ["家常菜", "川菜", "粤式点心", "轻食沙拉", "烘焙", "一人食", "快手早餐", "砂锅炖菜"]
ZH_COOK_B = ["100道", "从入门到精通", "零失败", "一本就够", "图解"]
ZH_PARENT = ["0-3岁育儿百科", "正面管教", "好好睡觉", "辅食添加", "亲子阅读", "儿童情绪管理"]
ZH_TRAVEL = ["日本", "云南", "新疆", "意大利", "冰岛", "川西", "欧洲", "东南亚"]
ZH_TRAVEL_B = ["自由行全攻略", "深度游", "徒步指南", "慢旅行"]
ZH_BIZ = ["小白理财", "穿越周期", "指数基金投资", "复利", "商业的本质", "长期主义"]
ZH_SCI = ["时间简史", "宇宙", "人体", "基因", "大脑", "海洋", "气候"]
ZH_SCI_B = ["的故事", "极简史", "漫游指南", "简明读本"]
ZH_SPORT = ["跑步", "马拉松", "徒步", "瑜伽", "力量训练", "游泳"]
ZH_SPORT_B = ["圣经", "训练全书", "从入门到完赛", "解剖学"]

EN_NOVEL_A = ["Silent", "Quiet", "Northern", "Last", "Paper", "Golden", "Winter", "Hidden", "Lantern", "Salt"]
EN_NOVEL_B = ["Harbour", "River", "Garden", "Letters", "Summer", "House", "Lighthouse", "Orchard", "Station", "Tide"]
EN_TECH = ["Python for Data Analysis", "Deep Learning", "Concurrency in C++", "Distributed Systems", "Recommender Systems",
           "Rust", "Machine Learning Engineering", "Algorithms"]
EN_TECH_FMT = ["{} in Practice", "Hands-On {}", "{}: From Zero to Production", "Practical {}", "{}, Second Edition"]
EN_COOK = ["Sichuan", "Weeknight", "Dim Sum", "One-Pot", "Sourdough", "Vegetarian", "Noodle", "Breakfast"]
EN_COOK_FMT = ["{} Home Cooking", "The {} Cookbook", "Simply {}", "{} Made Easy"]
EN_PARENT = ["The First Year: A Calm Guide for New Parents", "Sleep, Baby, Sleep", "Raising Curious Kids",
             "Positive Discipline for Toddlers", "Feeding Your Baby", "Reading Together"]
EN_TRAVEL = ["Japan", "Yunnan", "Iceland", "Italy", "Patagonia", "Southeast Asia", "Scotland", "the Alps"]
EN_TRAVEL_FMT = ["{} on Foot", "Slow Travel: {}", "The Essential Guide to {}", "Backroads of {}"]
EN_BIZ = ["The Patient Investor", "Index Funds Made Simple", "Compound Interest", "Thinking in Cycles",
          "The Long Game", "Money for Beginners"]
EN_SCI = ["the Universe", "the Human Body", "Genes", "the Brain", "the Ocean", "Climate"]
EN_SCI_FMT = ["A Short History of {}", "The Story of {}", "A Traveller's Guide to {}", "{} Explained"]
EN_SPORT = ["Running", "Marathon", "Trail Running", "Yoga", "Strength Training", "Swimming"]
EN_SPORT_FMT = ["The {} Bible", "{}: The Complete Guide", "Couch to {}", "Anatomy of {}"]

ZH_SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "林", "许", "沈", "苏"]
ZH_GIVEN = ["明", "晓雨", "思远", "静", "一帆", "子涵", "建国", "文博", "欣然", "志强", "雪", "书航"]
EN_FIRST = ["Anna", "James", "Maria", "David", "Sophie", "Daniel", "Emma", "Thomas", "Grace", "Oliver", "Hannah", "Lucas"]
EN_LAST = ["Carter", "Nguyen", "Hughes", "Patel", "Fischer", "Morgan", "Reyes", "Bennett", "Okafor", "Larsen"]

COLOURS = [("黑色", "black"), ("白色", "white"), ("灰色", "grey"), ("藏青", "navy"), ("红色", "red"),
           ("蓝色", "blue"), ("绿色", "green"), ("粉色", "pink"), ("米色", "beige"), ("银色", "silver")]

# ---------------------------------------------------------------------------
# Taste groups (the hidden truth)
# ---------------------------------------------------------------------------

GROUPS = [
    # name, zh label, share of users, strong {cat: weight}, weak [cats]
    ("runner", "跑步爱好者", 0.12, {"running": 0.78, "fitness": 0.22}, ["phones-audio", "outdoor", "fashion"]),
    ("tech_enthusiast", "数码发烧友", 0.13, {"phones-audio": 0.5, "computers": 0.5}, ["smart-home", "gaming"]),
    ("home_cook", "居家厨神", 0.11, {"kitchen": 0.8, "coffee-tea": 0.2}, ["smart-home", "books"]),
    ("bookworm", "书虫", 0.08, {"books": 1.0}, ["coffee-tea", "travel"]),
    ("new_parent", "新手爸妈", 0.09, {"baby-kids": 1.0}, ["kitchen", "smart-home", "beauty"]),
    ("gamer", "游戏玩家", 0.11, {"gaming": 0.78, "computers": 0.22}, ["phones-audio", "fashion"]),
    ("beauty_lover", "美妆达人", 0.11, {"beauty": 0.8, "fashion": 0.2}, ["fitness", "travel"]),
    ("outdoor_traveller", "户外旅行者", 0.09, {"outdoor": 0.55, "travel": 0.45}, ["running", "phones-audio"]),
    ("fashion_lover", "时尚潮人", 0.08, {"fashion": 0.8, "beauty": 0.2}, ["travel", "running"]),
    ("coffee_lover", "咖啡茶饮控", 0.08, {"coffee-tea": 0.8, "kitchen": 0.2}, ["books", "smart-home"]),
]

GROUP_PROFILE = {
    # age (lo, mode, hi), female share, income shift (-1 lower .. +1 higher), risk weights
    "runner": ((20, 31, 50), 0.45, 0, (0.25, 0.5, 0.25)),
    "tech_enthusiast": ((19, 28, 45), 0.25, 1, (0.2, 0.45, 0.35)),
    "home_cook": ((26, 38, 62), 0.62, 0, (0.45, 0.45, 0.1)),
    "bookworm": ((19, 35, 66), 0.55, 0, (0.4, 0.45, 0.15)),
    "new_parent": ((25, 31, 40), 0.65, 0, (0.55, 0.38, 0.07)),
    "gamer": ((18, 23, 36), 0.2, -1, (0.15, 0.4, 0.45)),
    "beauty_lover": ((18, 27, 42), 0.9, 0, (0.3, 0.5, 0.2)),
    "outdoor_traveller": ((22, 33, 52), 0.42, 1, (0.15, 0.45, 0.4)),
    "fashion_lover": ((18, 26, 38), 0.76, 0, (0.25, 0.5, 0.25)),
    "coffee_lover": ((22, 32, 52), 0.52, 0, (0.35, 0.5, 0.15)),
}

CITIES = [
    # name, weight, utc offset hours, share of English-speaking users
    ("上海", 16, 8, 0.07), ("北京", 15, 8, 0.06), ("深圳", 10, 8, 0.06), ("广州", 9, 8, 0.04),
    ("成都", 8, 8, 0.03), ("杭州", 8, 8, 0.04), ("重庆", 5, 8, 0.02), ("武汉", 5, 8, 0.02),
    ("南京", 5, 8, 0.03), ("西安", 4, 8, 0.02), ("苏州", 3, 8, 0.03), ("长沙", 3, 8, 0.02),
    ("香港", 2, 8, 0.3), ("Singapore", 2, 8, 0.6), ("London", 1.5, 0, 0.9), ("San Francisco", 1.5, -7, 0.85),
    ("Tokyo", 1, 9, 0.7), ("Sydney", 1, 10, 0.9), ("Toronto", 1, -4, 0.85),
]

SIGNUP_CHANNELS = [("app", 35), ("web", 20), ("wechat_mini_program", 20), ("referral", 10),
                   ("offline_store", 7), ("social_ads", 8)]

SESSION_CHANNELS = {
    # signup channel -> weights for web, app, store, email
    "app": (0.15, 0.70, 0.05, 0.10),
    "web": (0.60, 0.25, 0.03, 0.12),
    "wechat_mini_program": (0.25, 0.60, 0.05, 0.10),
    "referral": (0.35, 0.45, 0.05, 0.15),
    "offline_store": (0.15, 0.35, 0.35, 0.15),
    "social_ads": (0.35, 0.50, 0.02, 0.13),
}
CHANNEL_NAMES = ("web", "app", "store", "email")

# Local hour-of-day activity (index = hour): lunch and evening peaks, quiet nights.
HOUR_WEIGHTS = [1.0, 0.6, 0.35, 0.25, 0.25, 0.35, 0.8, 1.5, 2.2, 2.5, 2.7, 2.9,
                3.6, 3.3, 2.7, 2.5, 2.5, 2.7, 3.1, 3.9, 4.6, 4.8, 4.0, 2.3]

# ---------------------------------------------------------------------------
# Review texts
# ---------------------------------------------------------------------------

REVIEW_ZH = {
    "pos": ["质量很好，物超所值", "做工精致，很满意", "发货很快，包装完好，好评", "用了一周，体验很棒",
            "和描述一致，会回购", "性价比很高，推荐购买"],
    "mid": ["还行吧，中规中矩", "一般般，价格再低点就好了", "能用，但没有想象中好", "有优点也有缺点，凑合"],
    "neg": ["质量一般，有点失望", "和描述不太一样，不推荐", "用了两天就出问题了，已退货", "做工粗糙，不值这个价"],
}
REVIEW_EN = {
    "pos": ["Great quality, worth every penny", "Really well made, very happy with it", "Fast delivery and works perfectly",
            "Exactly as described, would buy again", "Excellent value, highly recommend"],
    "mid": ["It's okay, nothing special", "Decent, but a bit pricey for what it is", "Does the job, has a few quirks",
            "Average quality, expected a little more"],
    "neg": ["Disappointing quality, not recommended", "Not as described, returning it", "Broke after a couple of days",
            "Cheaply made, not worth the price"],
}
REVIEW_POS_BY_CAT = {
    "running": (["质量很好，跑步很舒服", "脚感很软，跑长距离也不累", "速干效果不错，夏天跑步很清爽"],
                ["Great fit, very comfortable on long runs", "Light and bouncy, my new favourite for tempo runs",
                 "Stays dry even on hot summer runs"]),
    "fitness": (["垫子很防滑，做瑜伽很稳", "在家练很方便，效果明显"],
                ["Non-slip and comfortable for daily yoga", "Perfect for home workouts, solid build"]),
    "outdoor": (["露营时很好用，搭建简单", "下雨天也没渗水，很靠谱"],
                ["Easy to pitch and kept us dry all weekend", "Light enough for long hikes, very sturdy"]),
    "phones-audio": (["降噪效果很好，续航给力", "音质清晰，通勤必备"],
                     ["Noise cancelling is excellent and the battery lasts forever", "Clear sound, perfect for the commute"]),
    "computers": (["运行流畅，屏幕很清晰", "手感很好，打字很舒服"],
                  ["Fast, quiet and the screen is gorgeous", "Great typing feel, a joy to use every day"]),
    "smart-home": (["连接很稳定，App好用", "装上以后家里方便多了"],
                   ["Set up in minutes and works reliably", "Makes the house so much easier to run"]),
    "kitchen": (["做饭方便多了，清洗也简单", "火力均匀，炒菜很香"],
                ["Makes weeknight cooking so much easier", "Heats evenly and cleans up in seconds"]),
    "coffee-tea": (["香气浓郁，回甘明显", "每天早上一杯，很提神"],
                   ["Lovely aroma and a smooth finish", "My daily morning cup, rich and fresh"]),
    "books": (["内容很扎实，读完收获很大", "故事很吸引人，一口气读完"],
              ["Couldn't put it down, beautifully written", "Clear and practical, learned a lot"]),
    "beauty": (["用完皮肤很水润，不油腻", "很温和，敏感肌也能用"],
               ["My skin feels soft and hydrated", "Gentle enough for my sensitive skin"]),
    "baby-kids": (["宝宝用着很舒服，不红屁屁", "推车很轻，单手就能收"],
                  ["Our baby loves it, very gentle", "Light, sturdy and folds with one hand"]),
    "gaming": (["手感很好，打游戏很爽", "延迟很低，开黑必备"],
               ["Feels great in long sessions, zero lag", "Huge upgrade for competitive play"]),
    "fashion": (["版型很好，穿着很显瘦", "面料舒服，颜色很正"],
                ["Fits perfectly and the fabric feels premium", "Looks great, true to size"]),
    "travel": (["出差很方便，轮子很顺", "容量很大，收纳很整齐"],
               ["Glides through airports, very sturdy", "Fits everything for a week-long trip"]),
}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def rfc3339(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(s: str) -> int:
    return int(dt.datetime(int(s[0:4]), int(s[5:7]), int(s[8:10]), tzinfo=dt.timezone.utc).timestamp())


def wchoice(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def poisson(rng: random.Random, lam: float) -> int:
    limit = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def nice_price(rng: random.Random, lo: float, hi: float) -> float:
    # Log-uniform in the range, rounded to a shop-like price: 59.00, 459.00, 1299.00, 458.90 ...
    p = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    step = 100 if p >= 1000 else 10
    base = max(lo, round(p / step) * step) - 1
    r = rng.random()
    if r < 0.15:
        return round(base + 0.9, 2)
    if r < 0.22:
        return round(base + 0.99, 2)
    return float(base)


def dumps_line(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------------------
# Items
# ---------------------------------------------------------------------------

def make_product(rng, cat, typ, lang):
    sub, zh_noun, en_noun, lo, hi, adjs, variants, feats, attrs = typ
    bz, be = rng.choice(cat["brands"])
    adj = rng.choice(adjs)
    var = rng.choice(variants) if variants and rng.random() < 0.75 else None
    f1, f2 = rng.sample(feats, 2)
    fixed = {}  # attributes implied by the adjective or variant ("Dark-roast", "27-inch", "men's")
    for part in (adj, var):
        if part and len(part) > 2:
            fixed.update(part[2])
    use = rng.choice(cat["usage"])
    colour = rng.choice(COLOURS)
    # Colour in the title only where shoppers pick by colour (not for creams or coffee).
    show_colour = cat["id"] not in ("beauty", "coffee-tea", "baby-kids")
    if lang == "zh":
        title = f"{bz} {adj[0]}{zh_noun}" + (f" {var[0]}" if var else "")
        if show_colour and rng.random() < 0.3:
            title += f" {colour[0]}"
        desc = f"{adj[0]}{zh_noun}，{f1[0]}，{f2[0]}。适合{use[0]}。"
    else:
        title = f"{be} {adj[1]} {en_noun}" + (f", {var[1]}" if var else "")
        if show_colour and rng.random() < 0.3:
            title += f" ({colour[1]})"
        desc = f"{adj[1]} {en_noun} with {f1[1]} and {f2[1]}. Ideal for {use[1]}."
    item_attrs = {"brand": be, "colour": colour[1], "lang": lang}
    keys = list(attrs)
    for k in rng.sample(keys, min(len(keys), rng.choice([1, 2]))):
        item_attrs[k] = rng.choice(attrs[k])
    item_attrs.update(fixed)
    tags = [cat["id"], sub, f1[2], f2[2]]
    return title, desc, sub, nice_price(rng, lo, hi), item_attrs, tags


def make_book(rng, cat, kind, lang):
    sub, lo, hi, zh_genre, en_genre = kind
    bz, be = rng.choice(cat["brands"])
    if lang == "zh":
        author = rng.choice(ZH_SURNAMES) + rng.choice(ZH_GIVEN)
        if sub == "fiction":
            name = rng.choice(ZH_NOVEL_A) + rng.choice(ZH_NOVEL_B)
        elif sub == "tech":
            name = rng.choice(ZH_TECH) + rng.choice(ZH_TECH_B)
        elif sub == "cooking":
            name = rng.choice(ZH_COOK) + rng.choice(ZH_COOK_B)
        elif sub == "parenting":
            name = rng.choice(ZH_PARENT)
        elif sub == "travel":
            name = rng.choice(ZH_TRAVEL) + rng.choice(ZH_TRAVEL_B)
        elif sub == "business":
            name = rng.choice(ZH_BIZ)
        elif sub == "science":
            name = rng.choice(ZH_SCI) + rng.choice(ZH_SCI_B)
        else:
            name = rng.choice(ZH_SPORT) + rng.choice(ZH_SPORT_B)
        title = f"《{name}》"
        if rng.random() < 0.3:
            title += rng.choice([" 精装版", " 平装", " 典藏版", " 套装"])
        hooks = {
            "fiction": "一个关于成长、离别与重逢的故事，细腻动人。",
            "tech": "从原理到工程实践，配有大量示例代码。",
            "cooking": "步骤清晰，配有全彩图解，新手也能轻松上手。",
            "parenting": "科学实用的育儿方法，陪伴孩子健康成长。",
            "travel": "精选路线、住宿和美食推荐，附实用地图。",
            "business": "用通俗的语言讲清楚投资和理财的底层逻辑。",
            "science": "用生动的故事带你理解身边的科学。",
            "sport": "系统的训练计划和伤病预防建议，帮你科学进步。",
        }
        desc = f"{author}著{zh_genre}作品。{hooks[sub]}"
    else:
        author = f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
        if sub == "fiction":
            name = f"The {rng.choice(EN_NOVEL_A)} {rng.choice(EN_NOVEL_B)}"
        elif sub == "tech":
            name = rng.choice(EN_TECH_FMT).format(rng.choice(EN_TECH))
        elif sub == "cooking":
            name = rng.choice(EN_COOK_FMT).format(rng.choice(EN_COOK))
        elif sub == "parenting":
            name = rng.choice(EN_PARENT)
        elif sub == "travel":
            name = rng.choice(EN_TRAVEL_FMT).format(rng.choice(EN_TRAVEL))
        elif sub == "business":
            name = rng.choice(EN_BIZ)
        elif sub == "science":
            name = rng.choice(EN_SCI_FMT).format(rng.choice(EN_SCI))
        else:
            name = rng.choice(EN_SPORT_FMT).format(rng.choice(EN_SPORT))
        title = name
        if rng.random() < 0.3:
            title += rng.choice([" (Hardcover)", " (Paperback)", " - Collector's Edition"])
        hooks = {
            "fiction": "A moving story of growing up, leaving home and finding your way back.",
            "tech": "From first principles to production, with plenty of worked examples.",
            "cooking": "Clear step-by-step recipes with full-colour photos, friendly to beginners.",
            "parenting": "Practical, evidence-based advice for the early years.",
            "travel": "Hand-picked routes, places to stay and where to eat, with maps.",
            "business": "Plain-spoken explanations of how investing and money really work.",
            "science": "Big ideas explained through vivid, everyday stories.",
            "sport": "Structured training plans and injury-prevention advice.",
        }
        desc = f"A {en_genre} by {author}. {hooks[sub]}"
    colour = rng.choice(COLOURS)
    item_attrs = {"brand": be, "colour": colour[1], "lang": lang, "author": author,
                  "pages": rng.randrange(160, 640, 8),
                  "format": rng.choice(["paperback", "paperback", "hardcover"])}
    tags = ["books", sub, en_genre.replace(" ", "-")]
    return title, desc, sub, nice_price(rng, lo, hi), item_attrs, tags


def gen_items(rng):
    items = []
    titles = set()
    for cat in CATEGORIES:
        n = rng.randint(24, 28)
        for j in range(n):
            lang = "zh" if rng.random() < 0.5 else "en"
            for _attempt in range(60):
                if cat["id"] == "books":
                    kind = BOOK_KINDS[j % len(BOOK_KINDS)]
                    title, desc, sub, price, attrs, tags = make_book(rng, cat, kind, lang)
                else:
                    typ = cat["types"][j % len(cat["types"])]
                    title, desc, sub, price, attrs, tags = make_product(rng, cat, typ, lang)
                if title not in titles:
                    break
            else:
                raise RuntimeError(f"could not make a unique title in {cat['id']}")
            titles.add(title)
            if lang == "zh":
                tags.append(cat["zh"])
            dedup_tags = []
            for t in tags:
                if t not in dedup_tags:
                    dedup_tags.append(t)
            if rng.random() < 0.85:
                created = rng.randint(parse_ts("2025-03-01"), parse_ts("2026-07-01"))
            else:  # new arrivals during the event window
                created = rng.randint(START_TS + 86400, parse_ts("2026-10-15"))
            items.append({
                "title": title,
                "description": desc,
                "categories": [cat["id"], f"{cat['id']}/{sub}"],
                "tags": dedup_tags,
                "price": price,
                "attributes": attrs,
                "created_at": created,
            })
    rng.shuffle(items)
    for k, it in enumerate(items, start=1):
        it["item_id"] = f"sku-{k:05d}"
    idx = list(range(len(items)))
    flagged = rng.sample(idx, 18)
    for k in flagged[:6]:
        items[k]["hidden"] = True
    for k in flagged[6:]:
        items[k]["available"] = False
    return items


def item_record(it):
    rec = {
        "item_id": it["item_id"],
        "title": it["title"],
        "description": it["description"],
        "categories": it["categories"],
        "tags": it["tags"],
        "price": it["price"],
        "attributes": it["attributes"],
        "created_at": rfc3339(it["created_at"]),
    }
    if it.get("hidden"):
        rec["hidden"] = True
    if it.get("available") is False:
        rec["available"] = False
    return rec


# ---------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------

def gen_users(rng):
    cat_ids = [c["id"] for c in CATEGORIES]
    users = []
    g_names = [g[0] for g in GROUPS]
    g_weights = [g[2] for g in GROUPS]
    city_w = [c[1] for c in CITIES]
    for k in range(1, N_USERS + 1):
        gname = wchoice(rng, g_names, g_weights)
        group = GROUPS[g_names.index(gname)]
        (alo, amode, ahi), female, income_shift, risk_w = GROUP_PROFILE[gname]
        city = wchoice(rng, CITIES, city_w)
        lang = "en" if rng.random() < city[3] else "zh"
        r = rng.random()
        gender = "other" if r < 0.02 else ("female" if r < 0.02 + female * 0.98 else "male")
        age = int(round(rng.triangular(alo, ahi, amode)))
        inc_w = {-1: (0.5, 0.42, 0.08), 0: (0.3, 0.5, 0.2), 1: (0.15, 0.5, 0.35)}[income_shift]
        if city[0] in ("London", "San Francisco", "Sydney", "Toronto", "Singapore", "香港"):
            inc_w = (inc_w[0] * 0.5, inc_w[1], inc_w[2] * 1.6)
        income = wchoice(rng, ["low", "middle", "high"], inc_w)
        risk = wchoice(rng, ["conservative", "balanced", "aggressive"], risk_w)
        signup = wchoice(rng, [s[0] for s in SIGNUP_CHANNELS], [s[1] for s in SIGNUP_CHANNELS])

        # Personal category preferences: the group's profile, jittered per user.
        strong, weak = group[3], group[4]
        strong_total = rng.uniform(0.64, 0.80)
        weak_total = rng.uniform(0.10, 0.18)
        rest_total = max(0.0, 1.0 - strong_total - weak_total)
        others = [c for c in cat_ids if c not in strong and c not in weak]
        prefs = {}
        jit = {c: w * rng.uniform(0.8, 1.2) for c, w in strong.items()}
        s = sum(jit.values())
        for c, w in jit.items():
            prefs[c] = strong_total * w / s
        jw = [rng.uniform(0.5, 1.5) for _ in weak]
        for c, w in zip(weak, jw):
            prefs[c] = weak_total * w / sum(jw)
        jo = [rng.expovariate(1.0) for _ in others]
        for c, w in zip(others, jo):
            prefs[c] = rest_total * w / sum(jo)
        affinity = {c: (1.0 if c in strong else 0.5 if c in weak else 0.2) for c in cat_ids}
        users.append({
            "user_id": f"u-{k:04d}",
            "group": gname,
            "attributes": {"age": age, "gender": gender, "city": city[0], "income_band": income,
                           "risk_level": risk, "signup_channel": signup, "lang": lang},
            "tz": city[2],
            "prefs_cats": cat_ids,
            "prefs_w": [prefs[c] for c in cat_ids],
            "affinity": affinity,
            "activity": math.exp(rng.gauss(math.log(4.0), 0.65)),
            "channels": SESSION_CHANNELS[signup],
        })
    return users


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

def day_weights():
    w = []
    for d in range(DAYS):
        day = START + dt.timedelta(days=d)
        x = 1.0 + 0.35 * d / DAYS            # the shop grows a little
        if day.weekday() >= 5:
            x *= 1.25                        # weekends
        if day.month == 8 and 6 <= day.day <= 8:
            x *= 1.6                         # "8.8" member-day promotion
        if day.month == 10 and day.day >= 20:
            x *= 1.35                        # Double-11 warm-up
        w.append(x)
    return w


def rating_value(rng, aff, quality):
    score = 2.55 + 1.6 * aff + quality + rng.gauss(0, 0.95)
    return int(min(5, max(1, round(score))))


def review_text(rng, lang, cat_id, rating):
    zh = lang == "zh"
    if rating >= 4:
        if cat_id in REVIEW_POS_BY_CAT and rng.random() < 0.6:
            pool = REVIEW_POS_BY_CAT[cat_id][0 if zh else 1]
        else:
            pool = (REVIEW_ZH if zh else REVIEW_EN)["pos"]
    elif rating == 3:
        pool = (REVIEW_ZH if zh else REVIEW_EN)["mid"]
    else:
        pool = (REVIEW_ZH if zh else REVIEW_EN)["neg"]
    return rng.choice(pool)


def gen_events(rng, items, users):
    by_cat = {c["id"]: [] for c in CATEGORIES}
    for it in items:
        by_cat[it["categories"][0]].append(it)
    # Popularity: a Zipf-like weight by a random rank within each category.
    pop = {}
    for cid, lst in by_cat.items():
        order = sorted(lst, key=lambda it: it["item_id"])
        rng.shuffle(order)
        for rank, it in enumerate(order):
            w = 1.0 / (rank + 1) ** 0.9
            if it.get("hidden"):
                w *= 0.3
            pop[it["item_id"]] = w
    cat_items = {cid: sorted(lst, key=lambda it: it["item_id"]) for cid, lst in by_cat.items()}
    cat_weights = {cid: [pop[it["item_id"]] for it in lst] for cid, lst in cat_items.items()}
    quality = {it["item_id"]: rng.gauss(0, 0.4) for it in sorted(items, key=lambda it: it["item_id"])}

    dweights = day_weights()
    days = list(range(DAYS))
    hours = list(range(24))
    events = []
    seen = set()

    def emit(user, item, etype, value, ts, channel, text=""):
        if ts >= END_TS or ts < START_TS:
            return None
        while (user, item, etype, ts) in seen:
            ts += 1
        if ts >= END_TS:
            return None
        seen.add((user, item, etype, ts))
        events.append((ts, user, item, etype, value, channel, text))
        return ts

    def pick_item(cid, ts):
        lst, w = cat_items[cid], cat_weights[cid]
        for _ in range(8):
            it = rng.choices(lst, weights=w, k=1)[0]
            if it["created_at"] <= ts:
                return it
        return None

    for u in users:
        uid = u["user_id"]
        lang = u["attributes"]["lang"]
        n_sessions = poisson(rng, u["activity"])
        later_channel = "app" if u["channels"][1] >= u["channels"][0] else "web"
        for _s in range(n_sessions):
            day = wchoice(rng, days, dweights)
            hour = wchoice(rng, hours, HOUR_WEIGHTS)
            local = START_TS + day * 86400 + hour * 3600 + rng.randrange(3600)
            ts = local - u["tz"] * 3600
            if ts < START_TS:
                ts += 86400
            channel = wchoice(rng, CHANNEL_NAMES, u["channels"])
            intent = wchoice(rng, u["prefs_cats"], u["prefs_w"])
            n_views = 1
            while n_views < 12 and rng.random() < 0.72:
                n_views += 1
            cart = []
            viewed = []
            for _v in range(n_views):
                ts += rng.randint(15, 150)
                cid = intent if rng.random() < 0.7 else wchoice(rng, u["prefs_cats"], u["prefs_w"])
                it = pick_item(cid, ts)
                if it is not None and it["item_id"] in viewed and rng.random() < 0.8:
                    it = pick_item(cid, ts)  # mostly move on to something new
                if it is None:
                    continue
                viewed.append(it["item_id"])
                iid = it["item_id"]
                aff = u["affinity"][cid]
                vts = emit(uid, iid, "view", "1", ts, channel)
                if vts is None:
                    break
                ts = vts
                if rng.random() < 0.006 + 0.035 * (1 - aff):
                    emit(uid, iid, "dislike", "1", ts + rng.randint(3, 40), channel)
                    continue
                if rng.random() >= 0.22 + 0.33 * aff:
                    continue
                ts += rng.randint(2, 30)
                emit(uid, iid, "click", "1", ts, channel)
                if rng.random() < 0.02 + 0.06 * aff:
                    emit(uid, iid, "like", "1", ts + rng.randint(5, 90), channel)
                if rng.random() < 0.006 + 0.02 * aff:
                    emit(uid, iid, "share", "1", ts + rng.randint(10, 120), channel)
                if rng.random() < 0.02:
                    # a rating without a purchase (bought elsewhere / earlier)
                    emit(uid, iid, "rating", str(rating_value(rng, aff, quality[iid])),
                         ts + rng.randint(20, 200), channel)
                if it.get("available") is False or it.get("hidden"):
                    continue
                if rng.random() < 0.07 + 0.25 * aff:
                    ts += rng.randint(10, 120)
                    emit(uid, iid, "add_to_cart", "1", ts, channel)
                    cart.append((it, aff))
            # checkout at the end of the session
            if cart:
                ts += rng.randint(60, 600)
            for it, aff in cart:
                price = it["price"]
                base = 0.62 if price < 300 else 0.52 if price < 2000 else 0.42
                if rng.random() >= base * (0.7 + 0.3 * aff):
                    continue
                paid = price
                if rng.random() < 0.15:
                    paid = round(price * rng.choice([0.8, 0.85, 0.9, 0.95]), 2)
                iid = it["item_id"]
                pts = emit(uid, iid, "purchase", f"{paid:.2f}", ts, channel)
                if pts is None:
                    continue
                if rng.random() < 0.45:
                    cid = it["categories"][0]
                    rating = rating_value(rng, aff, quality[iid])
                    rts = pts + rng.randint(1, 14) * 86400 + rng.randint(-7200, 7200)
                    rts = emit(uid, iid, "rating", str(rating), rts, later_channel)
                    if rts is not None and rng.random() < 0.4:
                        emit(uid, iid, "review", str(rating), rts + rng.randint(30, 600), later_channel,
                             review_text(rng, lang, cid, rating))
    order = {"view": 0, "dislike": 1, "click": 2, "like": 3, "share": 4, "add_to_cart": 5,
             "purchase": 6, "rating": 7, "review": 8}
    events.sort(key=lambda e: (e[0], e[1], e[2], order[e[3]]))
    return events


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def write_bytes(path, data: bytes):
    with open(path, "wb") as f:
        f.write(data)


def events_csv_gz(events) -> bytes:
    text = io.StringIO(newline="")
    w = csv.writer(text, lineterminator="\n")
    w.writerow(["user_id", "item_id", "type", "value", "timestamp", "channel", "text"])
    for ts, user, item, etype, value, channel, txt in events:
        w.writerow([user, item, etype, value, rfc3339(ts), channel, txt])
    raw = text.getvalue().encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    return buf.getvalue()


def readme(items, users, events, type_counts) -> str:
    cats = {}
    for it in items:
        cats[it["categories"][0]] = cats.get(it["categories"][0], 0) + 1
    zh = sum(1 for it in items if it["attributes"]["lang"] == "zh")
    gcount = {}
    for u in users:
        gcount[u["group"]] = gcount.get(u["group"], 0) + 1
    active = len({e[1] for e in events})
    lines = [
        "# Tailor demo dataset",
        "",
        "A small, **entirely synthetic** online store for demos, tutorials and end-to-end tests:",
        "a bilingual (Chinese / English) catalogue, users with demographic attributes, and",
        "a few months of browsing and buying behaviour. Every name, brand, review and person",
        "here was made up by a script, so there are no licence or privacy issues; any",
        "resemblance to real products or people is accidental.",
        "",
        "The behaviour was generated so that recommendations are *visibly sensible*: each user",
        "belongs to a hidden taste group (runner, gamer, new parent, ...) that prefers one or",
        "two categories strongly and a few others weakly, so a user who buys running gear",
        "should be recommended running gear.",
        "",
        "## How it was made",
        "",
        "```",
        "python3 scripts/gen_demo_data.py            # writes data/demo/",
        "python3 scripts/gen_demo_data.py --out DIR  # somewhere else",
        "```",
        "",
        f"Python 3 standard library only, seeded with `random.Random({SEED})`: running it again",
        "gives byte-identical files (`tests/demo/test_demo_data.py` checks this). Dates are",
        "fixed, never relative to today: events cover the 120 days from",
        f"{rfc3339(START_TS)} up to (not including) {rfc3339(END_TS)}.",
        "",
        "## Counts",
        "",
        "| | |",
        "|---|---|",
        f"| items | {len(items)} ({zh} with Chinese titles, {len(items) - zh} English) |",
        f"| categories | {len(cats)} |",
        f"| hidden items | {sum(1 for it in items if it.get('hidden'))} |",
        f"| out-of-stock items | {sum(1 for it in items if it.get('available') is False)} |",
        f"| users | {len(users)} ({active} with at least one event) |",
        f"| events | {len(events)} |",
    ]
    for t in ["view", "click", "add_to_cart", "purchase", "rating", "review", "like", "share", "dislike"]:
        lines.append(f"| &nbsp;&nbsp;{t} | {type_counts.get(t, 0)} |")
    lines += [
        "",
        "Items per category: " + ", ".join(f"{c} {n}" for c, n in sorted(cats.items())) + ".",
        "",
        "## Taste groups (the hidden truth)",
        "",
        "`truth.json` maps every `user_id` to its group and lists each group's categories;",
        "the group is *not* in `users.jsonl`, so segmentation can be scored against it.",
        "About 70% of a user's views fall in the group's strong categories, ~14% in the weak",
        "ones and the rest anywhere; clicks, carts and purchases are likelier in-taste, and",
        "ratings are higher in-taste.",
        "",
        "| group | users | strong | weak |",
        "|---|---|---|---|",
    ]
    for name, label, _share, strong, weak in GROUPS:
        st = ", ".join(f"{c} ({w:.0%})" for c, w in strong.items())
        lines.append(f"| {name} ({label}) | {gcount.get(name, 0)} | {st} | {', '.join(weak)} |")
    lines += [
        "",
        "## Files and schema",
        "",
        "All text is UTF-8. The files are laid out for the importer's default \"native\" mapping;",
        "columns it does not map (e.g. the review `text`) land in the event context / item",
        "attributes.",
        "",
        "**`items.jsonl`** — one JSON object per line (sorted keys):",
        "`item_id` (`sku-00017`), `title`, `description` (1–2 sentences), `categories`",
        "(main category first, then `main/sub`), `tags`, `price` (CNY), `attributes`",
        "(`brand`, `colour`, `lang` = `zh`/`en`, plus one or two category-specific fields such",
        "as `size_eu`, `battery_hours`, `ram_gb`, `author`), `created_at` (RFC 3339 UTC), and",
        "`hidden: true` / `available: false` on the few items that are.",
        "Some items were created during the event window (new arrivals); they have no events",
        "before their `created_at`.",
        "",
        "**`users.jsonl`** — `{\"user_id\": \"u-0001\", \"attributes\": {...}}` with `age`, `gender`",
        "(female/male/other), `city` (mostly Chinese cities, a few international), `income_band`",
        "(low/middle/high), `risk_level` (conservative/balanced/aggressive), `signup_channel`",
        "and `lang` (zh/en). A few users have no events at all (cold start).",
        "",
        "**`events.csv.gz`** — gzip-compressed CSV (RFC 4180 quoting), sorted by time, header",
        "`user_id,item_id,type,value,timestamp,channel,text`:",
        "",
        "- `type`: view, click, add_to_cart, purchase, rating, review, like, share, dislike;",
        "- `value`: the amount paid in CNY for `purchase` (sometimes discounted below the list",
        "  price), the 1–5 rating for `rating` and `review`, `1` otherwise;",
        "- `timestamp`: RFC 3339 UTC; local hour-of-day patterns (lunch and evening peaks)",
        "  follow each user's city time zone;",
        "- `channel`: web, app, store or email;",
        "- `text`: the review text (in the user's language) for `review`, empty otherwise.",
        "",
        "There are no duplicate (user_id, item_id, type, timestamp) rows.",
        "",
        "**`truth.json`** — `groups` (name → label, strong categories with weights, weak",
        "categories) and `users` (user_id → group name).",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(repo, "data", "demo"), help="output folder (default: data/demo)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    rng = random.Random(SEED)
    items = gen_items(rng)
    users = gen_users(rng)
    events = gen_events(rng, items, users)

    items_sorted = sorted(items, key=lambda it: it["item_id"])
    write_bytes(os.path.join(args.out, "items.jsonl"),
                "".join(dumps_line(item_record(it)) + "\n" for it in items_sorted).encode("utf-8"))
    write_bytes(os.path.join(args.out, "users.jsonl"),
                "".join(dumps_line({"user_id": u["user_id"], "attributes": u["attributes"]}) + "\n"
                        for u in users).encode("utf-8"))
    write_bytes(os.path.join(args.out, "events.csv.gz"), events_csv_gz(events))
    truth = {
        "description": "Hidden taste group of every demo user (not in users.jsonl).",
        "seed": SEED,
        "groups": {name: {"label": label, "strong": strong, "weak": weak}
                   for name, label, _share, strong, weak in GROUPS},
        "users": {u["user_id"]: u["group"] for u in users},
    }
    write_bytes(os.path.join(args.out, "truth.json"),
                (json.dumps(truth, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8"))
    type_counts = {}
    for e in events:
        type_counts[e[3]] = type_counts.get(e[3], 0) + 1
    write_bytes(os.path.join(args.out, "README.md"), readme(items_sorted, users, events, type_counts).encode("utf-8"))

    ncat = len({it["categories"][0] for it in items})
    zh = sum(1 for it in items if it["attributes"]["lang"] == "zh")
    print(f"items: {len(items)} ({zh} zh, {len(items) - zh} en) in {ncat} categories")
    print(f"users: {len(users)}")
    print(f"events: {len(events)} " + " ".join(f"{k}={v}" for k, v in sorted(type_counts.items())))
    for name in ["items.jsonl", "users.jsonl", "events.csv.gz", "truth.json", "README.md"]:
        print(f"  {name}: {os.path.getsize(os.path.join(args.out, name))} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
