"""The SMS bot: Aliyun client wrapper, invitation sender, SmsUp/SmsReport webhooks, reply parser."""
