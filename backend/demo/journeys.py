"""What happened to the demo's lots, as data: five journeys from the field to the shop or recall.

Every transfer is received by the organisation it names, except two that show the other states
of two-step custody: the rice is refused once (then sent again), the lotus seeds are in transit.

Times are (days ago, hour in Đồng Tháp), so the demo always reads as last week's produce.
"""

from __future__ import annotations

from backend.demo.cast import LUA, PACKER, QUYT, REGULATOR, SEN, SHOP, XOAI
from backend.demo.steps import (
    Harvest,
    Journey,
    Recall,
    Receive,
    Record,
    Refuse,
    Serials,
    Split,
    Transfer,
)
from backend.models import EventType

INPUT = EventType.INPUT_APPLICATION
CHECK = EventType.QUALITY_CHECK
RECEIVING = EventType.RECEIVING
PACKING = EventType.PACKING
PROCESSING = EventType.PROCESSING
SHIPPING = EventType.SHIPPING

HCM = "TP. Hồ Chí Minh"
COOP_INSPECTORS = "Tổ kiểm soát nội bộ HTX"
COOP_LAB = "Phòng thử nghiệm HTX"
RAPID_TEST = "Kiểm tra vi sinh nhanh"
VACUUM_TRAY = "khay 500 g hút chân không"
RECALLED_LOT = "QUYT-2606-02"

#: Sprays with their intervals, harvest, check, hand-over, packing, pallets, shipping, sale.
MANGO = Journey(
    "XOAI-2606-01",
    (
        Harvest(XOAI, "xoai-cat-chu", "MX-XOAI-03", "1200", "kg", (9, 6)),
        Record(
            XOAI,
            INPUT,
            (30, 16),
            {
                "product": "Anvil 5SC",
                "active_ingredient": "Hexaconazole",
                "dose": "20",
                "unit": "ml/bình 16 lít",
                "pre_harvest_interval_days": 7,
                "note": "Phòng bệnh thán thư giai đoạn trái non",
            },
        ),
        Record(
            XOAI,
            INPUT,
            (21, 6),
            {
                "product": "Kali trắng (KCl)",
                "active_ingredient": "K2O 60%",
                "dose": "0.5",
                "unit": "kg/gốc",
                "pre_harvest_interval_days": 0,
            },
        ),
        Record(
            XOAI,
            CHECK,
            (9, 10),
            {
                "result": "pass",
                "inspector": COOP_INSPECTORS,
                "method": "Cảm quan, độ Brix",
                "brix": "17.5",
            },
        ),
        Transfer(XOAI, PACKER, (8, 8), "Giao 120 sọt tại nhà đóng gói Sa Đéc"),
        Receive(PACKER, (8, 11), "Nhận đủ 120 sọt"),
        Record(PACKER, RECEIVING, (8, 11), {"condition": "good", "temperature_c": "24"}),
        Record(
            PACKER,
            PACKING,
            (7, 9),
            {
                "package": "thùng carton 10 kg",
                "package_count": 118,
                "packing_house": "Nhà đóng gói nông sản Sa Đéc",
                "note": "Phân loại loại 1, xử lý nước nóng 48 °C",
            },
        ),
        Split(PACKER, tuple((f"-P{n}", "295") for n in range(1, 5)), (7, 14), follow="-P1"),
        Serials(PACKER, 24),
        Record(
            PACKER,
            SHIPPING,
            (6, 5),
            {
                "destination": HCM,
                "carrier": "Xe lạnh Sa Đéc – Sài Gòn",
                "vehicle": "66C-123.45",
                "temperature_c": "12",
            },
        ),
        Transfer(PACKER, SHOP, (6, 5), "Pallet 1: 29 thùng + hàng lẻ"),
        Receive(SHOP, (5, 6)),
        Record(SHOP, RECEIVING, (5, 6), {"condition": "good", "temperature_c": "13"}),
        Record(SHOP, EventType.RETAIL, (5, 9), {"shelf": "Quầy trái cây Đồng Tháp"}),
    ),
)

#: Pink mandarins for Tết: spray, harvest, check, packing, split, shipping to the shop.
MANDARIN = Journey(
    "QUYT-2606-01",
    (
        Harvest(QUYT, "quyt-hong-lai-vung", "LH-QUYT-01", "800", "kg", (6, 7)),
        Record(
            QUYT,
            INPUT,
            (20, 16),
            {
                "product": "Radiant 60SC",
                "active_ingredient": "Spinetoram",
                "dose": "15",
                "unit": "ml/bình 16 lít",
                "pre_harvest_interval_days": 7,
                "note": "Trừ bọ trĩ trên trái",
            },
        ),
        Record(
            QUYT, CHECK, (6, 11), {"result": "pass", "brix": "12.8", "inspector": COOP_INSPECTORS}
        ),
        Transfer(QUYT, PACKER, (5, 8), "Giao 40 sọt quýt loại 1"),
        Receive(PACKER, (5, 10)),
        Record(PACKER, RECEIVING, (5, 10), {"condition": "good"}),
        Record(PACKER, PACKING, (4, 9), {"package": "hộp quà 2 kg", "package_count": 390}),
        Split(PACKER, (("-A", "400"), ("-B", "380")), (4, 15), follow="-A"),
        Serials(PACKER, 12),
        Record(
            PACKER,
            SHIPPING,
            (3, 5),
            {"destination": HCM, "carrier": "Xe tải Lai Vung", "vehicle": "66H-045.67"},
        ),
        Transfer(PACKER, SHOP, (3, 5), "200 hộp quà Tết"),
        Receive(SHOP, (2, 7)),
        Record(SHOP, RECEIVING, (2, 7), {"condition": "good"}),
    ),
)

#: Fresh lotus seeds: harvest, shelling and chilling, check, packing at Sa Đéc.
LOTUS = Journey(
    "SEN-2606-01",
    (
        Harvest(SEN, "hat-sen-thap-muoi", "TM-SEN-05", "350", "kg", (3, 5)),
        Record(SEN, PROCESSING, (3, 9), {"step": "Tách vỏ, lột màng, làm lạnh 4 °C"}),
        Record(
            SEN, CHECK, (3, 13), {"result": "pass", "method": RAPID_TEST, "inspector": COOP_LAB}
        ),
        Transfer(SEN, PACKER, (2, 8), "Thùng giữ lạnh, 35 túi 10 kg"),
        Receive(PACKER, (2, 10)),
        Record(PACKER, RECEIVING, (2, 10), {"condition": "good", "temperature_c": "5"}),
        Record(PACKER, PACKING, (2, 14), {"package": VACUUM_TRAY, "package_count": 690}),
        Serials(PACKER, 6),
        # Sent on to the shop and not yet received: the page reads "đang vận chuyển".
        Transfer(PACKER, SHOP, (0, 5), "Xe lạnh 4 °C, 690 khay"),
    ),
)

#: A rice harvest checked and handed to the packing house for milling.
RICE = Journey(
    "LUA-2606-01",
    (
        Harvest(LUA, "gao-thom-phu-cuong", "PC-LUA-12", "12.5", "tấn", (12, 6)),
        Record(
            LUA,
            CHECK,
            (11, 9),
            {"result": "pass", "moisture_percent": "14.2", "method": "Độ ẩm, tạp chất"},
        ),
        Transfer(LUA, PACKER, (10, 8), "Lúa khô, 250 bao 50 kg"),
        # Refused at the gate, dried again, sent again and received.
        Refuse(PACKER, (10, 10), "Độ ẩm đo tại kho 16,1%, vượt mức nhận 14,5%"),
        Transfer(LUA, PACKER, (9, 7), "Đã sấy lại, độ ẩm 14,2%"),
        Receive(PACKER, (9, 8)),
        Record(PACKER, PROCESSING, (9, 8), {"step": "Xay xát, lau bóng"}),
    ),
)

#: A mandarin lot whose residue test failed: the quality office recalls it.
RECALLED = Journey(
    RECALLED_LOT,
    (
        Harvest(QUYT, "quyt-hong-lai-vung", "LH-QUYT-01", "300", "kg", (5, 7)),
        Record(
            QUYT,
            CHECK,
            (4, 10),
            {
                "result": "fail",
                "method": "Phân tích dư lượng (LC-MS/MS)",
                "note": "Carbendazim 0,35 mg/kg, vượt giới hạn tối đa",
            },
        ),
        Recall(
            REGULATOR,
            (3, 15),
            "Phát hiện dư lượng Carbendazim 0,35 mg/kg, vượt mức giới hạn tối đa cho phép "
            "(mẫu kiểm tra số 112/QLCL-2026). Không tiêu thụ, trả lại nơi mua.",
        ),
    ),
)

JOURNEYS: tuple[Journey, ...] = (MANGO, MANDARIN, LOTUS, RICE, RECALLED)
