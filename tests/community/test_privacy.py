from community.privacy import mask_id_number, mask_mobile, mask_name, mask_text


def test_masked_forms():
    assert mask_name("张三") == "张**"
    assert mask_name("欧阳娜娜") == "欧**"
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_name("") == mask_mobile("") == mask_id_number("") == ""


def test_free_text_loses_every_id_number_mobile_and_named_person():
    text = "业主张三（电话13812345678，身份证11010519491231002X）反映漏水。"
    masked = mask_text(text, names=["张三"])
    assert "13812345678" not in masked and "11010519491231002X" not in masked and "张三" not in masked
    assert "138****5678" in masked and "张**" in masked
