// @ts-check
// The address CRM pages load, which never changes:
//   <script type="module" src="https://whatsapp.example.com/inbox/widget.js"></script>
// It defines <crm-whatsapp-conversations>; the element itself is pages/widget.js.
export { CrmWhatsappConversations } from './pages/widget.js';
