"""What the sandbox knows of each QuickBooks entity (B3, B7): its kind, the fields a write may not set, the
fields a query may filter on, and the account-type vocabulary."""

from __future__ import annotations

from dataclasses import dataclass

NAME_LIST = "name"        # no delete: made inactive (B7)
TRANSACTION = "txn"       # delete; void per entity
READ_ONLY = "read"        # TaxCode, TaxRate, CompanyInfo, Preferences: read and query only
ATTACHABLE = "attachable"

META = ("Id", "SyncToken", "MetaData", "domain", "sparse", "status")


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str
    read_only: tuple[str, ...] = ()
    queryable: tuple[str, ...] = ()
    cdc: bool = True


def _q(*names: str) -> tuple[str, ...]:
    return ("id", "metadata.createtime", "metadata.lastupdatedtime", *(n.lower() for n in names))


TXN_RO = ("TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance", "LinkedTxn")
SPECS: dict[str, Spec] = {s.name.lower(): s for s in (
    Spec("Customer", NAME_LIST, ("FullyQualifiedName", "Level", "IsProject", "Balance", "BalanceWithJobs"),
         _q("DisplayName", "GivenName", "FamilyName", "MiddleName", "CompanyName", "FullyQualifiedName",
            "PrintOnCheckName", "PrimaryEmailAddr", "PrimaryEmailAddr.Address", "Active", "Balance", "Job",
            "ParentRef", "CurrencyRef")),
    Spec("Vendor", NAME_LIST, ("Balance",),
         _q("DisplayName", "GivenName", "FamilyName", "MiddleName", "CompanyName", "PrintOnCheckName",
            "PrimaryEmailAddr", "PrimaryEmailAddr.Address", "Active", "Balance", "CurrencyRef")),
    Spec("Item", NAME_LIST, ("FullyQualifiedName", "Level"),
         _q("Name", "Type", "Active", "Sku", "FullyQualifiedName", "ParentRef", "QtyOnHand", "UnitPrice",
            "Taxable")),
    Spec("Account", NAME_LIST, ("FullyQualifiedName", "Classification", "CurrentBalance",
                                "CurrentBalanceWithSubAccounts"),
         _q("Name", "AccountType", "AccountSubType", "Classification", "Active", "AcctNum", "CurrentBalance",
            "FullyQualifiedName", "CurrencyRef", "SubAccount", "ParentRef")),
    Spec("Class", NAME_LIST, ("FullyQualifiedName",), _q("Name", "Active", "FullyQualifiedName", "SubClass",
                                                          "ParentRef")),
    Spec("TaxCode", READ_ONLY, (), _q("Name", "Active", "Taxable", "TaxGroup", "Hidden"), cdc=False),
    Spec("TaxRate", READ_ONLY, (), _q("Name", "Active", "RateValue", "AgencyRef"), cdc=False),
    Spec("Invoice", TRANSACTION, TXN_RO,
         _q("DocNumber", "TxnDate", "DueDate", "CustomerRef", "TotalAmt", "Balance", "CurrencyRef", "ProjectRef",
            "DepartmentRef", "EmailStatus", "PrintStatus")),
    Spec("CreditMemo", TRANSACTION, (*TXN_RO, "RemainingCredit"),
         _q("DocNumber", "TxnDate", "CustomerRef", "TotalAmt", "Balance", "CurrencyRef", "ProjectRef")),
    Spec("Bill", TRANSACTION, TXN_RO,
         _q("DocNumber", "TxnDate", "DueDate", "VendorRef", "TotalAmt", "Balance", "APAccountRef",
            "CurrencyRef")),
    Spec("Payment", TRANSACTION, ("UnappliedAmt", "HomeTotalAmt"),
         _q("TxnDate", "CustomerRef", "TotalAmt", "PaymentRefNum", "CurrencyRef", "DepositToAccountRef")),
    Spec("BillPayment", TRANSACTION, ("HomeTotalAmt",),
         _q("DocNumber", "TxnDate", "VendorRef", "TotalAmt", "PayType", "CurrencyRef")),
    Spec("Attachable", ATTACHABLE, ("Size", "FileAccessUri", "TempDownloadUri", "ThumbnailTempDownloadUri",
                                    "ThumbnailFileAccessUri"),
         _q("FileName", "Category", "ContentType", "AttachableRef.EntityRef.Type",
            "AttachableRef.EntityRef.Value", "Note")),
    Spec("CompanyInfo", READ_ONLY, (), _q("CompanyName", "Country"), cdc=False),
    Spec("Preferences", READ_ONLY, (), _q(), cdc=False),
)}

# Entities CDC does not cover (B5), named so the refusal can say so.
NOT_IN_CDC = ("JournalCode", "TaxAgency", "TimeActivity", "TaxCode", "TaxRate")

# AccountType -> (Classification, default AccountSubType)
ACCOUNT_TYPES: dict[str, tuple[str, str]] = {
    "Bank": ("Asset", "Checking"),
    "Other Current Asset": ("Asset", "OtherCurrentAssets"),
    "Fixed Asset": ("Asset", "OtherFixedAssets"),
    "Other Asset": ("Asset", "OtherLongTermAssets"),
    "Accounts Receivable": ("Asset", "AccountsReceivable"),
    "Equity": ("Equity", "OpeningBalanceEquity"),
    "Expense": ("Expense", "OtherMiscellaneousServiceCost"),
    "Other Expense": ("Expense", "OtherMiscellaneousExpense"),
    "Cost of Goods Sold": ("Expense", "SuppliesMaterialsCogs"),
    "Accounts Payable": ("Liability", "AccountsPayable"),
    "Credit Card": ("Liability", "CreditCard"),
    "Long Term Liability": ("Liability", "OtherLongTermLiabilities"),
    "Other Current Liability": ("Liability", "OtherCurrentLiabilities"),
    "Income": ("Revenue", "ServiceFeeIncome"),
    "Other Income": ("Revenue", "OtherMiscellaneousIncome"),
}
# AccountSubType -> AccountType, for a create that names only the subtype
SUBTYPES: dict[str, str] = {
    "Checking": "Bank", "Savings": "Bank", "MoneyMarket": "Bank", "CashOnHand": "Bank",
    "UndepositedFunds": "Other Current Asset", "Inventory": "Other Current Asset",
    "OtherCurrentAssets": "Other Current Asset", "PrepaidExpenses": "Other Current Asset",
    "AccountsReceivable": "Accounts Receivable", "AccountsPayable": "Accounts Payable",
    "CreditCard": "Credit Card", "OpeningBalanceEquity": "Equity", "RetainedEarnings": "Equity",
    "SalesOfProductIncome": "Income", "ServiceFeeIncome": "Income", "DiscountsRefundsGiven": "Income",
    "OtherPrimaryIncome": "Income", "SuppliesMaterialsCogs": "Cost of Goods Sold",
    "CostOfLaborCos": "Cost of Goods Sold", "AdvertisingPromotional": "Expense",
    "OfficeGeneralAdministrativeExpenses": "Expense", "Travel": "Expense", "LegalProfessionalFees": "Expense",
    "OtherMiscellaneousServiceCost": "Expense", "RentOrLeaseOfBuildings": "Expense", "Utilities": "Expense",
    "OtherMiscellaneousExpense": "Other Expense", "OtherMiscellaneousIncome": "Other Income",
    "OtherCurrentLiabilities": "Other Current Liability", "GlobalTaxPayable": "Other Current Liability",
    "OtherLongTermLiabilities": "Long Term Liability", "OtherFixedAssets": "Fixed Asset",
    "OtherLongTermAssets": "Other Asset",
}
ITEM_TYPES = ("Service", "NonInventory", "Inventory")
READ_ONLY_ITEM_TYPES = ("Group", "Category", "Bundle")
LINE_TYPES = {
    "Invoice": ("SalesItemLineDetail", "DiscountLineDetail", "SubTotalLineDetail", "DescriptionOnly",
                "GroupLineDetail"),
    "CreditMemo": ("SalesItemLineDetail", "DiscountLineDetail", "SubTotalLineDetail", "DescriptionOnly",
                   "GroupLineDetail"),
    "Bill": ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"),
}
ATTACHMENT_TYPES = ("ai", "csv", "doc", "docx", "eps", "gif", "jpeg", "jpg", "ods", "pdf", "png", "rtf", "tif",
                    "tiff", "txt", "xls", "xlsx", "xml")
